// Every text the clinic web app shows or announces, in one place, per
// language (docs/SDK.md "Translating the app").
//
// To add a language: copy the `en` block, translate the values (keep the
// {placeholders} as they are), and add the language to LANGUAGES. A key
// missing in a translation falls back to English, so a partial translation
// works. The language is chosen by ?lang=<code>, else the one picked in the
// app's language menu (kept in localStorage), else the browser's languages,
// else English.
//
// In index.html, data-i18n="key" sets an element's text, and
// data-i18n-attr="aria-label:key;placeholder:key" its attributes.

export const LANGUAGES = [['en', 'English'], ['fr', 'Français']];

const STRINGS = {
    en: {
        // ---- page and header
        'page.title': 'Video consultation',
        'page.skip': 'Skip to content',
        'language.label': 'Language',
        'banner.dismiss': 'Dismiss message',
        'banner.reconnecting': 'Connection lost. Reconnecting…',
        'banner.mediaFailed': 'The video connection was interrupted. Trying again…',
        'conn.connecting': 'Connecting…',
        'conn.waiting': 'Waiting to be let in',
        'conn.notStarted': 'Not started yet',
        'conn.connected': 'Connected',
        'conn.reconnecting': 'Reconnecting…',
        'conn.disconnected': 'Disconnected',
        'conn.notConnected': 'Not connected',
        'screen.connecting': 'Connecting to your consultation…',
        'you': 'You',
        'you.named': 'You ({name})',
        'role.doctor': 'Doctor',
        'role.patient': 'Patient',
        'role.paramedic': 'Paramedic',
        'role.observer': 'Observer',
        'role.other': 'Participant',
        'size.bytes': '{n} bytes',
        'size.kb': '{n} KB',
        'size.mb': '{n} MB',

        // ---- lobby
        'lobby.waiting.title': 'Waiting for the clinician to let you in',
        'lobby.waiting.text': 'Please keep this page open. The consultation starts as soon as the clinician lets you in.',
        'lobby.beforeStart.title': 'Your consultation has not started yet',
        'lobby.beforeStart.text': 'Please keep this page open. The clinician will let you in once the consultation starts.',
        'lobby.clinicianBeforeStart.title': 'The consultation has not started yet',
        'lobby.clinicianBeforeStart.text': 'You will enter by yourself as soon as the clinic starts it. Please keep this page open.',
        'lobby.leave': 'Leave the waiting room',

        // ---- call
        'call.label': 'Consultation',
        'call.tiles': 'Participants’ video',
        'call.controls': 'Call controls',
        'call.side': 'People and messages',
        'call.mic.start': 'Start microphone',
        'call.mic.unmute': 'Unmute microphone',
        'call.mic.mute': 'Mute microphone',
        'call.cam.start': 'Start camera',
        'call.cam.on': 'Turn camera on',
        'call.cam.off': 'Turn camera off',
        'call.screen.start': 'Share screen',
        'call.screen.stop': 'Stop sharing',
        'call.leave': 'Leave',
        'call.enableAudio': 'Turn on sound',
        'tile.camOff': 'Camera off',
        'tile.camOffByClinician': 'Camera turned off by the clinician',
        'tile.camOffByClinic': 'Camera turned off by the clinic',
        'tile.micOff': 'Microphone off',
        'tile.micOffByClinician': 'Muted by the clinician',
        'tile.micOffByClinic': 'Microphone turned off by the clinic',
        'tile.nobodySees': 'Nobody can see you: your camera was turned off for this consultation.',
        'tile.yourScreen': 'Your screen',
        'tile.theirScreen': '{name}: screen',
        'notice.camOffByClinician': 'The clinician turned off your camera. Nobody can see you until they turn it back on.',
        'notice.camOffByClinic': 'The clinic turned off your camera for this consultation. Nobody can see you.',
        'notice.micOffByClinician': 'The clinician muted your microphone. Nobody can hear you until they turn it back on.',
        'notice.micOffByClinic': 'The clinic turned off your microphone for this consultation. Nobody can hear you.',
        'notice.bothOff': 'Your camera and microphone were turned off for you. Nobody can see or hear you.',

        // ---- people and waiting room (moderators)
        'people.title': 'In the consultation',
        'waiting.title': 'Waiting room',
        'waiting.empty': 'Nobody is waiting.',
        'waiting.admit': 'Admit',
        'waiting.deny': 'Deny',
        'waiting.message': 'Message',
        'waiting.admitName': 'Admit {name}',
        'waiting.denyName': 'Deny {name}',
        'waiting.messageName': 'Send a private message to {name}',
        'mod.muteMic': 'Mute mic',
        'mod.allowMic': 'Allow mic',
        'mod.stopCam': 'Stop camera',
        'mod.allowCam': 'Allow camera',
        'mod.remove': 'Remove',
        'mod.actionFor': '{action}: {name}',

        // ---- errors shown in a banner
        'error.rateLimited': 'Too many attempts. Please wait a minute and try again.',
        'error.removed': 'You were removed from this consultation.',
        'error.unavailable': 'This consultation is not open: it has ended, or it has not been set up yet.',
        'error.full': 'The consultation is full. Please try again later.',
        'error.transport': 'Could not reach the video service. Please check your connection and try again.',
        'error.media': 'Your camera or microphone could not be started. You can still see and hear the others.',
        'error.mutedByClinician': 'The clinician has muted you. They can turn your microphone or camera back on.',
        'error.notAllowed': 'You are not allowed to do that.',
        'error.gone': 'That participant is no longer here.',
        'error.other': 'Something did not work (code {code}). Please try again.',

        // ---- end screens
        'end.retry': 'Try again',
        'end.rejoin': 'Join again',
        'end.ended.title': 'The consultation has ended',
        'end.ended.text': 'Thank you. You can close this page now.',
        'end.kicked.title': 'You were removed from the consultation',
        'end.kicked.text': 'The clinician removed you from this consultation. If you think this is a mistake, please contact the clinic.',
        'end.removed.title': 'You are no longer part of this consultation',
        'end.removed.text': 'The clinic removed you from this consultation. If you think this is a mistake, please contact the clinic.',
        'end.denied.title': 'The clinician did not let you in',
        'end.denied.text': 'You were not admitted to this consultation. If you think this is a mistake, please contact the clinic.',
        'end.replaced.title': 'Opened somewhere else',
        'end.replaced.text': 'You joined this consultation from another window or device, so this window was disconnected. You can close it.',
        'end.left.title': 'You left the consultation',
        'end.left.text': 'You can close this page now, or join again if you left by mistake.',
        'end.expired.title': 'This link has expired',
        'end.expired.text': 'For your privacy, consultation links only work for a limited time. Please ask the clinic for a new link.',
        'end.expired.textInvite': 'For your privacy, the link to the video service expired. Press “Try again” to get a new one.',
        'end.not-yet.title': 'This link is not valid yet',
        'end.not-yet.text': 'Please check that the date and time on your device are correct, then try again.',
        'end.invalid.title': 'This link does not work',
        'end.invalid.text': 'The link is incomplete or damaged. Please open the link from the clinic’s message again, or ask the clinic for a new one.',
        'end.invite-invalid.title': 'This invitation is no longer valid',
        'end.invite-invalid.text': 'The consultation may have ended or the invitation was withdrawn. Please ask the clinic for a new link.',
        'end.unavailable.title': 'This consultation is not open',
        'end.unavailable.text': 'It has ended, or it has not been set up yet. Please check the time in your invitation or contact the clinic.',
        'end.full.title': 'The consultation is full',
        'end.full.text': 'There is no free place in this consultation right now. Please try again in a few minutes.',
        'end.error.title': 'Could not connect',
        'end.error.text': 'The connection to the consultation was lost or could not be made. Please check your internet connection, then try again.',

        // ---- messages and files
        'chat.title': 'Messages',
        'chat.titleLobby': 'Messages from the care team',
        'chat.empty': 'No messages yet.',
        'chat.emptyLobby': 'Messages from the clinician will appear here.',
        'chat.noteLobby': 'You can reply once the clinician has let you in.',
        'chat.noteForbidden': 'Chat is not available to you in this consultation.',
        'chat.log': 'Messages and shared files',
        'chat.to': 'To',
        'chat.everyone': 'Everyone',
        'chat.toWaiting': '{name} (waiting room)',
        'chat.toGone': '{name} (not here)',
        'chat.message': 'Message',
        'chat.placeholder': 'Write a message',
        'chat.hint': 'Enter to send, Shift+Enter for a new line.',
        'chat.attach': 'Attach file',
        'chat.file': 'File to send',
        'chat.attachHint': 'PDF, PNG, JPEG, DICOM or text, up to 25 MB',
        'chat.send': 'Send',
        'chat.careTeam': 'Care team',
        'chat.privateToYou': 'Private, to you',
        'chat.privateTo': 'Private, to {names}',
        'chat.sending': 'Sending…',
        'chat.notSent': 'Not sent.',
        'chat.retry': 'Retry',
        'chat.retryLabel': 'Retry sending this message',
        'chat.err.empty': 'Please write a message first.',
        'chat.err.tooLong': 'Your message is too long: {n} characters, at most {max}.',
        'chat.err.rate': 'You are sending messages too quickly. Please wait a moment, then press Retry.',
        'chat.err.forbidden': 'You are not allowed to send messages in this consultation.',
        'chat.err.waiting': 'You can send messages once the clinician has let you in.',
        'chat.err.text': 'Messages can be up to {max} characters and cannot contain special control characters.',
        'chat.err.gone': 'That person is no longer in the consultation. Choose another recipient.',
        'chat.err.self': 'You cannot send a private message to yourself. Choose another recipient.',
        'chat.err.network': 'Your message could not be sent. Please check your connection and press Retry.',
        'chat.err.other': 'Your message could not be sent (code {code}). Please press Retry.',
        'file.download': 'Download',
        'file.downloading': 'Downloading…',
        'file.downloadName': 'Download {name} ({size})',
        'file.needInvite': 'Open the invitation link from the clinic to download.',
        'file.quoted': '“{name}”',
        'file.theFile': 'The file',
        'file.err.credential': '“{name}” could not be downloaded: your invitation is no longer valid.',
        'file.err.notFound': '“{name}” could not be downloaded: it is no longer available.',
        'file.err.forbidden': '“{name}” could not be downloaded: you are not allowed to open it.',
        'file.err.network': '“{name}” could not be downloaded: please check your connection and try again.',
        'upload.sending': 'Sending file…',
        'upload.sendingName': 'Sending “{name}”…',
        'upload.saving': 'Saving “{name}”…',
        'upload.percent': '{pct} percent',
        'upload.cancel': 'Cancel',
        'upload.err.quota': '{file} cannot be sent: this consultation has reached its limit for shared files.',
        'upload.err.tooLarge': '{file} is too large to send. Files can be up to 25 MB.',
        'upload.err.invalid': '{file} could not be sent: its name or recipient was not accepted. Please rename it or choose another recipient.',
        'upload.err.contents': '{file} cannot be sent: its contents are not a valid PDF document, PNG or JPEG image, DICOM file or plain text file.',
        'upload.err.type': '{file} cannot be sent: only PDF documents, PNG or JPEG images, DICOM files and plain text files can be shared.',
        'upload.err.empty': '{file} is empty.',
        'upload.err.credential': 'File sharing needs the invitation link from the clinic. Please open it again.',
        'upload.err.forbidden': 'You are not allowed to share files in this consultation.',
        'upload.err.ended': 'The consultation has ended, so files can no longer be shared.',
        'upload.err.rate': 'Too many files in a short time. Please wait a minute and try again.',
        'upload.err.aborted': 'Sending the file was cancelled.',
        'upload.err.unavailable': 'File sharing is unavailable right now. Please try again in a minute.',
        'upload.err.other': '{file} could not be sent. Please check your connection and try again.',
        // ---- pre-call check
        'precall.title': 'Check your camera, microphone and connection',
        'precall.preview': 'Your camera picture',
        'precall.preview.none': 'No camera picture',
        'precall.camera.label': 'Camera',
        'precall.microphone.label': 'Microphone',
        'precall.speaker.label': 'Speaker',
        'precall.device.camera_n': 'Camera {n}',
        'precall.device.microphone_n': 'Microphone {n}',
        'precall.device.speaker_n': 'Speaker {n}',
        'precall.device.none': 'None found',
        'precall.camera.checking': 'Checking your camera…',
        'precall.camera.ok': 'Your camera works.',
        'precall.camera.fail': 'Your camera shows no picture. Check that it is connected and not covered.',
        'precall.camera.blocked': 'The camera is blocked. Allow it for this page in your browser settings, then press “Check again”.',
        'precall.camera.missing': 'No camera was found.',
        'precall.camera.busy': 'Your camera could not be started. Close other apps that may be using it, then press “Check again”.',
        'precall.microphone.checking': 'Checking your microphone… Please say something.',
        'precall.microphone.ok': 'Your microphone works.',
        'precall.microphone.fail': 'We cannot hear your microphone. Check that it is switched on and not muted.',
        'precall.microphone.blocked': 'The microphone is blocked. Allow it for this page in your browser settings, then press “Check again”.',
        'precall.microphone.missing': 'No microphone was found.',
        'precall.microphone.busy': 'Your microphone could not be started. Close other apps that may be using it, then press “Check again”.',
        'precall.meter.label': 'Microphone level: say something, the bar should move',
        'precall.meter.silent': 'silent',
        'precall.meter.quiet': 'quiet ({level} %)',
        'precall.meter.good': 'good ({level} %)',
        'precall.meter.loud': 'loud ({level} %)',
        'precall.speaker.play': 'Play test sound',
        'precall.speaker.playing': 'Playing a short sound…',
        'precall.speaker.played': 'Did you hear two notes? If not, turn up the volume or choose another speaker.',
        'precall.speaker.failed': 'The test sound could not be played on this device.',
        'precall.connection.label': 'Connection',
        'precall.connection.checking': 'Checking your connection to the video service…',
        'precall.connection.ok': 'Your connection works (about {mbps} Mbit/s).',
        'precall.connection.slow': 'Your connection is slow (about {mbps} Mbit/s): video may not work.',
        'precall.connection.fail': 'Your device cannot reach the video service.',
        'precall.connection.skipped': 'Your connection will be checked when the consultation starts.',
        'precall.verdict.checking': 'Checking…',
        'precall.verdict.good': 'Everything is ready.',
        'precall.verdict.audio_only': 'Your video may not work; the call can go ahead with sound only.',
        'precall.verdict.cannot_connect': 'Your device cannot connect to the video service. Try another network (for example mobile data instead of Wi-Fi), or call the clinic.',
        'precall.verdict.no_microphone': 'We could not hear your microphone, so the clinician may not hear you.',
        'precall.retry': 'Check again',
        // the moderator's waiting list
        'precall.waiting.good': 'Device check: ready',
        'precall.waiting.audio_only': 'Device check: sound only',
        'precall.waiting.cannot_connect': 'Device check: cannot connect',
        'precall.waiting.none': 'Device check: not done yet',
        'precall.waiting.with_details': '{text} ({details})',
        'precall.waiting.camera_off': 'camera not working',
        'precall.waiting.microphone_off': 'microphone not working',
        'precall.waiting.slow': 'slow connection',
    },
    fr: {
        // ---- page and header
        'page.title': 'Téléconsultation',
        'page.skip': 'Aller au contenu',
        'language.label': 'Langue',
        'banner.dismiss': 'Fermer le message',
        'banner.reconnecting': 'Connexion perdue. Reconnexion…',
        'banner.mediaFailed': 'La connexion vidéo a été interrompue. Nouvel essai…',
        'conn.connecting': 'Connexion…',
        'conn.waiting': 'En attente d’admission',
        'conn.notStarted': 'Pas encore commencée',
        'conn.connected': 'Connecté',
        'conn.reconnecting': 'Reconnexion…',
        'conn.disconnected': 'Déconnecté',
        'conn.notConnected': 'Non connecté',
        'screen.connecting': 'Connexion à votre consultation…',
        'you': 'Vous',
        'you.named': 'Vous ({name})',
        'role.doctor': 'Médecin',
        'role.patient': 'Patient',
        'role.paramedic': 'Secouriste',
        'role.observer': 'Observateur',
        'role.other': 'Participant',
        'size.bytes': '{n} octets',
        'size.kb': '{n} Ko',
        'size.mb': '{n} Mo',

        // ---- lobby
        'lobby.waiting.title': 'En attente : le soignant va vous faire entrer',
        'lobby.waiting.text': 'Veuillez garder cette page ouverte. La consultation commence dès que le soignant vous fait entrer.',
        'lobby.beforeStart.title': 'Votre consultation n’a pas encore commencé',
        'lobby.beforeStart.text': 'Veuillez garder cette page ouverte. Le soignant vous fera entrer lorsque la consultation commencera.',
        'lobby.clinicianBeforeStart.title': 'La consultation n’a pas encore commencé',
        'lobby.clinicianBeforeStart.text': 'Vous entrerez automatiquement dès que la clinique la démarre. Veuillez garder cette page ouverte.',
        'lobby.leave': 'Quitter la salle d’attente',

        // ---- call
        'call.label': 'Consultation',
        'call.tiles': 'Vidéo des participants',
        'call.controls': 'Commandes de l’appel',
        'call.side': 'Participants et messages',
        'call.mic.start': 'Activer le micro',
        'call.mic.unmute': 'Réactiver le micro',
        'call.mic.mute': 'Couper le micro',
        'call.cam.start': 'Activer la caméra',
        'call.cam.on': 'Allumer la caméra',
        'call.cam.off': 'Éteindre la caméra',
        'call.screen.start': 'Partager l’écran',
        'call.screen.stop': 'Arrêter le partage',
        'call.leave': 'Quitter',
        'call.enableAudio': 'Activer le son',
        'tile.camOff': 'Caméra éteinte',
        'tile.camOffByClinician': 'Caméra éteinte par le soignant',
        'tile.camOffByClinic': 'Caméra éteinte par la clinique',
        'tile.micOff': 'Micro coupé',
        'tile.micOffByClinician': 'Micro coupé par le soignant',
        'tile.micOffByClinic': 'Micro coupé par la clinique',
        'tile.nobodySees': 'Personne ne vous voit : votre caméra a été éteinte pour cette consultation.',
        'tile.yourScreen': 'Votre écran',
        'tile.theirScreen': '{name} : écran',
        'notice.camOffByClinician': 'Le soignant a éteint votre caméra. Personne ne vous voit jusqu’à ce qu’il la rallume.',
        'notice.camOffByClinic': 'La clinique a éteint votre caméra pour cette consultation. Personne ne vous voit.',
        'notice.micOffByClinician': 'Le soignant a coupé votre micro. Personne ne vous entend jusqu’à ce qu’il le réactive.',
        'notice.micOffByClinic': 'La clinique a coupé votre micro pour cette consultation. Personne ne vous entend.',
        'notice.bothOff': 'Votre caméra et votre micro ont été coupés. Personne ne vous voit ni ne vous entend.',

        // ---- people and waiting room (moderators)
        'people.title': 'Dans la consultation',
        'waiting.title': 'Salle d’attente',
        'waiting.empty': 'Personne n’attend.',
        'waiting.admit': 'Faire entrer',
        'waiting.deny': 'Refuser',
        'waiting.message': 'Message',
        'waiting.admitName': 'Faire entrer {name}',
        'waiting.denyName': 'Refuser {name}',
        'waiting.messageName': 'Envoyer un message privé à {name}',
        'mod.muteMic': 'Couper le micro',
        'mod.allowMic': 'Autoriser le micro',
        'mod.stopCam': 'Éteindre la caméra',
        'mod.allowCam': 'Autoriser la caméra',
        'mod.remove': 'Retirer',
        'mod.actionFor': '{action} : {name}',

        // ---- errors shown in a banner
        'error.rateLimited': 'Trop de tentatives. Veuillez patienter une minute puis réessayer.',
        'error.removed': 'Vous avez été retiré de cette consultation.',
        'error.unavailable': 'Cette consultation n’est pas ouverte : elle est terminée ou n’a pas encore été préparée.',
        'error.full': 'La consultation est complète. Veuillez réessayer plus tard.',
        'error.transport': 'Impossible de joindre le service vidéo. Vérifiez votre connexion puis réessayez.',
        'error.media': 'Votre caméra ou votre micro n’a pas pu démarrer. Vous pouvez quand même voir et entendre les autres.',
        'error.mutedByClinician': 'Le soignant vous a coupé le son. Lui seul peut réactiver votre micro ou votre caméra.',
        'error.notAllowed': 'Vous n’êtes pas autorisé à faire cela.',
        'error.gone': 'Cette personne n’est plus là.',
        'error.other': 'Une erreur s’est produite (code {code}). Veuillez réessayer.',

        // ---- end screens
        'end.retry': 'Réessayer',
        'end.rejoin': 'Revenir dans la consultation',
        'end.ended.title': 'La consultation est terminée',
        'end.ended.text': 'Merci. Vous pouvez fermer cette page.',
        'end.kicked.title': 'Vous avez été retiré de la consultation',
        'end.kicked.text': 'Le soignant vous a retiré de cette consultation. S’il s’agit d’une erreur, veuillez contacter la clinique.',
        'end.removed.title': 'Vous ne faites plus partie de cette consultation',
        'end.removed.text': 'La clinique vous a retiré de cette consultation. S’il s’agit d’une erreur, veuillez contacter la clinique.',
        'end.denied.title': 'Le soignant ne vous a pas fait entrer',
        'end.denied.text': 'Vous n’avez pas été admis dans cette consultation. S’il s’agit d’une erreur, veuillez contacter la clinique.',
        'end.replaced.title': 'Ouverte ailleurs',
        'end.replaced.text': 'Vous avez rejoint cette consultation depuis une autre fenêtre ou un autre appareil : cette fenêtre a été déconnectée. Vous pouvez la fermer.',
        'end.left.title': 'Vous avez quitté la consultation',
        'end.left.text': 'Vous pouvez fermer cette page, ou revenir si vous êtes parti par erreur.',
        'end.expired.title': 'Ce lien a expiré',
        'end.expired.text': 'Pour protéger votre vie privée, les liens de consultation ne sont valables qu’un temps limité. Veuillez demander un nouveau lien à la clinique.',
        'end.expired.textInvite': 'Pour protéger votre vie privée, le lien vers le service vidéo a expiré. Appuyez sur « Réessayer » pour en obtenir un nouveau.',
        'end.not-yet.title': 'Ce lien n’est pas encore valable',
        'end.not-yet.text': 'Vérifiez que la date et l’heure de votre appareil sont correctes, puis réessayez.',
        'end.invalid.title': 'Ce lien ne fonctionne pas',
        'end.invalid.text': 'Le lien est incomplet ou abîmé. Ouvrez de nouveau le lien du message de la clinique, ou demandez-en un nouveau.',
        'end.invite-invalid.title': 'Cette invitation n’est plus valable',
        'end.invite-invalid.text': 'La consultation est peut-être terminée ou l’invitation a été retirée. Veuillez demander un nouveau lien à la clinique.',
        'end.unavailable.title': 'Cette consultation n’est pas ouverte',
        'end.unavailable.text': 'Elle est terminée ou n’a pas encore été préparée. Vérifiez l’heure indiquée dans votre invitation ou contactez la clinique.',
        'end.full.title': 'La consultation est complète',
        'end.full.text': 'Il n’y a pas de place libre dans cette consultation pour le moment. Veuillez réessayer dans quelques minutes.',
        'end.error.title': 'Connexion impossible',
        'end.error.text': 'La connexion à la consultation a été perdue ou n’a pas pu être établie. Vérifiez votre connexion Internet, puis réessayez.',

        // ---- messages and files
        'chat.title': 'Messages',
        'chat.titleLobby': 'Messages de l’équipe soignante',
        'chat.empty': 'Aucun message pour l’instant.',
        'chat.emptyLobby': 'Les messages du soignant apparaîtront ici.',
        'chat.noteLobby': 'Vous pourrez répondre une fois entré dans la consultation.',
        'chat.noteForbidden': 'La messagerie n’est pas disponible pour vous dans cette consultation.',
        'chat.log': 'Messages et fichiers partagés',
        'chat.to': 'À',
        'chat.everyone': 'Tout le monde',
        'chat.toWaiting': '{name} (salle d’attente)',
        'chat.toGone': '{name} (absent)',
        'chat.message': 'Message',
        'chat.placeholder': 'Écrire un message',
        'chat.hint': 'Entrée pour envoyer, Maj+Entrée pour aller à la ligne.',
        'chat.attach': 'Joindre un fichier',
        'chat.file': 'Fichier à envoyer',
        'chat.attachHint': 'PDF, PNG, JPEG, DICOM ou texte, 25 Mo au plus',
        'chat.send': 'Envoyer',
        'chat.careTeam': 'Équipe soignante',
        'chat.privateToYou': 'Privé, pour vous',
        'chat.privateTo': 'Privé, pour {names}',
        'chat.sending': 'Envoi…',
        'chat.notSent': 'Non envoyé.',
        'chat.retry': 'Réessayer',
        'chat.retryLabel': 'Réessayer d’envoyer ce message',
        'chat.err.empty': 'Veuillez d’abord écrire un message.',
        'chat.err.tooLong': 'Votre message est trop long : {n} caractères, {max} au plus.',
        'chat.err.rate': 'Vous envoyez des messages trop vite. Patientez un instant, puis appuyez sur Réessayer.',
        'chat.err.forbidden': 'Vous n’êtes pas autorisé à envoyer des messages dans cette consultation.',
        'chat.err.waiting': 'Vous pourrez envoyer des messages une fois entré dans la consultation.',
        'chat.err.text': 'Un message peut compter jusqu’à {max} caractères et ne peut pas contenir de caractères de contrôle.',
        'chat.err.gone': 'Cette personne n’est plus dans la consultation. Choisissez un autre destinataire.',
        'chat.err.self': 'Vous ne pouvez pas vous envoyer un message privé. Choisissez un autre destinataire.',
        'chat.err.network': 'Votre message n’a pas pu être envoyé. Vérifiez votre connexion puis appuyez sur Réessayer.',
        'chat.err.other': 'Votre message n’a pas pu être envoyé (code {code}). Appuyez sur Réessayer.',
        'file.download': 'Télécharger',
        'file.downloading': 'Téléchargement…',
        'file.downloadName': 'Télécharger {name} ({size})',
        'file.needInvite': 'Ouvrez le lien d’invitation de la clinique pour télécharger.',
        'file.quoted': '« {name} »',
        'file.theFile': 'Le fichier',
        'file.err.credential': '« {name} » n’a pas pu être téléchargé : votre invitation n’est plus valable.',
        'file.err.notFound': '« {name} » n’a pas pu être téléchargé : il n’est plus disponible.',
        'file.err.forbidden': '« {name} » n’a pas pu être téléchargé : vous n’êtes pas autorisé à l’ouvrir.',
        'file.err.network': '« {name} » n’a pas pu être téléchargé : vérifiez votre connexion puis réessayez.',
        'upload.sending': 'Envoi du fichier…',
        'upload.sendingName': 'Envoi de « {name} »…',
        'upload.saving': 'Enregistrement de « {name} »…',
        'upload.percent': '{pct} pour cent',
        'upload.cancel': 'Annuler',
        'upload.err.quota': '{file} ne peut pas être envoyé : cette consultation a atteint sa limite de fichiers partagés.',
        'upload.err.tooLarge': '{file} est trop volumineux. Les fichiers peuvent faire jusqu’à 25 Mo.',
        'upload.err.invalid': '{file} n’a pas pu être envoyé : son nom ou son destinataire n’a pas été accepté. Renommez-le ou choisissez un autre destinataire.',
        'upload.err.contents': '{file} ne peut pas être envoyé : son contenu n’est pas un document PDF, une image PNG ou JPEG, un fichier DICOM ou un fichier texte valide.',
        'upload.err.type': '{file} ne peut pas être envoyé : seuls les documents PDF, les images PNG ou JPEG, les fichiers DICOM et les fichiers texte peuvent être partagés.',
        'upload.err.empty': '{file} est vide.',
        'upload.err.credential': 'Le partage de fichiers nécessite le lien d’invitation de la clinique. Veuillez l’ouvrir de nouveau.',
        'upload.err.forbidden': 'Vous n’êtes pas autorisé à partager des fichiers dans cette consultation.',
        'upload.err.ended': 'La consultation est terminée : les fichiers ne peuvent plus être partagés.',
        'upload.err.rate': 'Trop de fichiers en peu de temps. Veuillez patienter une minute puis réessayer.',
        'upload.err.aborted': 'L’envoi du fichier a été annulé.',
        'upload.err.unavailable': 'Le partage de fichiers est indisponible pour le moment. Veuillez réessayer dans une minute.',
        'upload.err.other': '{file} n’a pas pu être envoyé. Vérifiez votre connexion puis réessayez.',
        // ---- pre-call check
        'precall.title': 'Vérifiez votre caméra, votre micro et votre connexion',
        'precall.preview': 'L’image de votre caméra',
        'precall.preview.none': 'Pas d’image de la caméra',
        'precall.camera.label': 'Caméra',
        'precall.microphone.label': 'Micro',
        'precall.speaker.label': 'Haut-parleur',
        'precall.device.camera_n': 'Caméra {n}',
        'precall.device.microphone_n': 'Micro {n}',
        'precall.device.speaker_n': 'Haut-parleur {n}',
        'precall.device.none': 'Aucun trouvé',
        'precall.camera.checking': 'Vérification de votre caméra…',
        'precall.camera.ok': 'Votre caméra fonctionne.',
        'precall.camera.fail': 'Votre caméra ne montre pas d’image. Vérifiez qu’elle est branchée et non couverte.',
        'precall.camera.blocked': 'La caméra est bloquée. Autorisez-la pour cette page dans les réglages du navigateur, puis appuyez sur « Vérifier à nouveau ».',
        'precall.camera.missing': 'Aucune caméra n’a été trouvée.',
        'precall.camera.busy': 'Votre caméra n’a pas pu démarrer. Fermez les autres applications qui l’utilisent peut-être, puis appuyez sur « Vérifier à nouveau ».',
        'precall.microphone.checking': 'Vérification de votre micro… Dites quelque chose.',
        'precall.microphone.ok': 'Votre micro fonctionne.',
        'precall.microphone.fail': 'Nous n’entendons pas votre micro. Vérifiez qu’il est allumé et non coupé.',
        'precall.microphone.blocked': 'Le micro est bloqué. Autorisez-le pour cette page dans les réglages du navigateur, puis appuyez sur « Vérifier à nouveau ».',
        'precall.microphone.missing': 'Aucun micro n’a été trouvé.',
        'precall.microphone.busy': 'Votre micro n’a pas pu démarrer. Fermez les autres applications qui l’utilisent peut-être, puis appuyez sur « Vérifier à nouveau ».',
        'precall.meter.label': 'Niveau du micro : parlez, la barre doit bouger',
        'precall.meter.silent': 'silence',
        'precall.meter.quiet': 'faible ({level} %)',
        'precall.meter.good': 'bon ({level} %)',
        'precall.meter.loud': 'fort ({level} %)',
        'precall.speaker.play': 'Jouer un son de test',
        'precall.speaker.playing': 'Lecture d’un son court…',
        'precall.speaker.played': 'Avez-vous entendu deux notes ? Sinon, montez le volume ou choisissez un autre haut-parleur.',
        'precall.speaker.failed': 'Le son de test n’a pas pu être joué sur cet appareil.',
        'precall.connection.label': 'Connexion',
        'precall.connection.checking': 'Vérification de votre connexion au service vidéo…',
        'precall.connection.ok': 'Votre connexion fonctionne (environ {mbps} Mbit/s).',
        'precall.connection.slow': 'Votre connexion est lente (environ {mbps} Mbit/s) : la vidéo risque de ne pas fonctionner.',
        'precall.connection.fail': 'Votre appareil n’arrive pas à joindre le service vidéo.',
        'precall.connection.skipped': 'Votre connexion sera vérifiée au début de la consultation.',
        'precall.verdict.checking': 'Vérification en cours…',
        'precall.verdict.good': 'Tout est prêt.',
        'precall.verdict.audio_only': 'Votre vidéo risque de ne pas fonctionner ; la consultation peut se faire avec le son seulement.',
        'precall.verdict.cannot_connect': 'Votre appareil n’arrive pas à se connecter au service vidéo. Essayez un autre réseau (par exemple les données mobiles au lieu du Wi-Fi), ou appelez le cabinet.',
        'precall.verdict.no_microphone': 'Nous n’avons pas entendu votre micro : le soignant risque de ne pas vous entendre.',
        'precall.retry': 'Vérifier à nouveau',
        // the moderator's waiting list
        'precall.waiting.good': 'Vérification : prêt',
        'precall.waiting.audio_only': 'Vérification : son seulement',
        'precall.waiting.cannot_connect': 'Vérification : connexion impossible',
        'precall.waiting.none': 'Vérification : pas encore faite',
        'precall.waiting.with_details': '{text} ({details})',
        'precall.waiting.camera_off': 'caméra en panne',
        'precall.waiting.microphone_off': 'micro en panne',
        'precall.waiting.slow': 'connexion lente',
    },
};

const LANG_KEY = 'telemed.lang';
let current = 'en';

export function language() {
    return current;
}

// The language to use: ?lang=, the saved choice, the browser's, English.
export function chooseLanguage() {
    const wanted = [];
    const q = new URLSearchParams(location.search).get('lang');
    if (q) wanted.push(q);
    try {
        const saved = localStorage.getItem(LANG_KEY);
        if (saved) wanted.push(saved);
    } catch {
        // storage unavailable
    }
    for (const l of navigator.languages ?? [navigator.language]) if (l) wanted.push(l);
    for (const w of wanted) {
        const code = String(w).toLowerCase().split('-')[0];
        if (STRINGS[code]) return code;
    }
    return 'en';
}

export function setLanguage(code, { save = false } = {}) {
    current = STRINGS[code] ? code : 'en';
    document.documentElement.lang = current;
    if (save) {
        try {
            localStorage.setItem(LANG_KEY, current);
        } catch {
            // storage unavailable: the choice lasts for this page
        }
    }
}

// The text for `key` with its {placeholders} filled from vars.
export function t(key, vars) {
    const s = STRINGS[current][key] ?? STRINGS.en[key];
    if (s === undefined) return key;
    if (!vars) return s;
    return s.replace(/\{(\w+)\}/g, (m, k) => (Object.hasOwn(vars, k) ? String(vars[k]) : m));
}

// Whether a key exists (in English): for texts chosen by a code.
export function has(key) {
    return Object.hasOwn(STRINGS.en, key);
}

// Fills the static texts of index.html (and of any element built with the
// same attributes) in the current language.
export function translateDom(root = document) {
    for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
    for (const e of root.querySelectorAll('[data-i18n-attr]')) {
        for (const pair of e.dataset.i18nAttr.split(';')) {
            const [attr, key] = pair.split(':').map((s) => s.trim());
            if (attr && key) e.setAttribute(attr, t(key));
        }
    }
    if (root === document) document.title = t('page.title');
}

// For tests: every key of every language.
export const ALL_STRINGS = STRINGS;
