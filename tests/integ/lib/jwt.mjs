// Minimal JWT helpers (node:crypto) to decode the controller's join tokens
// and to mint forged, expired or otherwise wrong ones for the plugin.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export function b64url(input) {
    return Buffer.from(input).toString('base64url');
}

export function decodeJwt(token) {
    const parts = token.split('.');
    if (parts.length !== 3) throw new Error('token does not have three parts');
    return {
        header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')),
        claims: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')),
        signingInput: `${parts[0]}.${parts[1]}`,
        signature: Buffer.from(parts[2], 'base64url'),
        rawSignature: parts[2],
    };
}

// True if `token` carries a valid HS256 signature under `secret`.
export function verifyHs256(token, secret) {
    const d = decodeJwt(token);
    const want = createHmac('sha256', secret).update(d.signingInput).digest();
    return want.length === d.signature.length && timingSafeEqual(want, d.signature);
}

const HASH = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

// Mints a token. header defaults to {alg:"HS256",typ:"JWT",kid}; `alg`
// selects the HMAC ("none" gives an empty signature). `signAlg` lets the
// signature use another algorithm than the header claims.
export function mintJwt({ header, claims, secret, signAlg }) {
    const h = b64url(JSON.stringify(header));
    const c = b64url(JSON.stringify(claims));
    const input = `${h}.${c}`;
    const alg = signAlg ?? header.alg;
    if (alg === 'none') return `${input}.`;
    const hash = HASH[alg];
    if (!hash) throw new Error(`unsupported alg ${alg}`);
    const sig = createHmac(hash, secret).update(input).digest('base64url');
    return `${input}.${sig}`;
}

// Claims like the controller's, for participant `sub` in session `sid`.
export function claimsFor({ sub, sid, role = 'doctor', perms, iss, now = Math.floor(Date.now() / 1000), ttl = 300 }) {
    return {
        iss,
        aud: 'janus.plugin.telemed',
        sub,
        sid,
        role,
        perms: perms ?? ['publish_audio', 'publish_video', 'publish_screen', 'subscribe', 'chat', 'share_files',
            'record', 'moderate', 'bypass_lobby'],
        iat: now,
        nbf: now,
        exp: now + ttl,
        jti: randomUUID(),
    };
}
