// Runs last (files run in name order, one at a time): coturn never ran out of
// relay ports during the tier. Browsers that close leave their TURN
// allocations behind for their lifetime (10 min), so the allocations of the
// whole tier add up; with a 40-port range the pre-call check and the
// connection tests failed on a fresh machine when coturn refused them
// (docs/OPERATIONS.md, troubleshooting). A test that passed anyway does not
// hide it: coturn's log says so.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const dir = process.env.TELEMED_STACK_DIR;

test('coturn had a free relay port for every allocation of the tier', { skip: dir ? false : 'TELEMED_STACK_DIR not set' }, () => {
    const log = join(dir, 'logs', 'turnserver.log');
    assert.ok(existsSync(log), `coturn's log exists: ${log}`);
    const text = readFileSync(log, 'utf8');
    assert.match(text, /Relay ports initialization done/, 'the log is the stack coturn\'s');
    const refused = text.split('\n').filter((l) => /no available ports/.test(l));
    assert.equal(refused.length, 0, `coturn refused allocations for want of relay ports (widen TELEMED_TURN_RELAY_RANGE):\n${refused.slice(0, 5).join('\n')}`);
});
