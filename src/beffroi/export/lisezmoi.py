"""LISEZMOI.txt: the package explained, in French, to the court and the investigator."""

from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from beffroi.clock import PARIS
from beffroi.export.clips import ItemPlan
from beffroi.export.manifest import ExportOrder, zip_name
from beffroi.journal.keys import fingerprint

LEGAL_BASES = {
    "60-1": "réquisition (article 60-1 du code de procédure pénale)",
    "77-1-1": "réquisition (article 77-1-1 du code de procédure pénale)",
    "99-3": "réquisition (article 99-3 du code de procédure pénale)",
    "igp": "instruction générale du parquet",
    "other": "autre fondement",
}

ROLES_FR = {"supervisor": "superviseur", "investigator": "enquêteur", "operator": "opérateur"}


def local(ms: int) -> str:
    dt = datetime.fromtimestamp(ms / 1000, tz=PARIS)
    return dt.strftime("%d/%m/%Y %H:%M:%S") + f" ({dt.strftime('%z')[:3]}:{dt.strftime('%z')[3:]})"


def _items(plans: list[ItemPlan]) -> list[str]:
    lines: list[str] = []
    for plan in plans:
        lines.append(
            f"- Caméra {plan.camera_id} : demandé du {local(plan.start_ms)} au {local(plan.end_ms)}"
        )
        if not plan.files:
            lines.append("    aucun enregistrement sur cette période.")
        for f in plan.files:
            lines.append(
                f"    fichier du {local(f.start_ms)} au {local(f.end_ms)} "
                f"({f.duration_s:.1f} s, {f.frames} images)"
            )
        for s, e in plan.gaps:
            lines.append(
                f"    INTERRUPTION : pas d'images du {local(s)} au {local(e)} "
                f"({(e - s) / 1000:.1f} s)"
            )
    return lines


def _where_published(published_at: str | None) -> str:
    if published_at:
        return f"publiée par le centre ici : {published_at}"
    return (
        "que le centre de supervision urbaine communique : demandez-la lui par un autre\n"
        "   canal que ce paquet (courrier, téléphone)"
    )


def lisezmoi(
    order: ExportOrder,
    exported_ms: int,
    plans: list[ItemPlan],
    key: Ed25519PublicKey,
    fingerprint_published_at: str | None = None,
) -> bytes:
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    a = order.authority
    who = ", ".join(x for x in (" ".join(filter(None, (a.rank, a.name))), a.service, a.unit) if x)
    role = ROLES_FR.get(order.exported_role, order.exported_role)
    text = f"""EXTRACTION D'IMAGES DE VIDÉOPROTECTION — PAQUET SCELLÉ
=====================================================

Réquisition n° {order.number} — procédure {order.procedure}
Fondement : {LEGAL_BASES.get(order.legal_basis, order.legal_basis)}
Autorité requérante : {who}
Reçue le : {local(order.received_ms)}
Extraction n° {order.export_id} faite le {local(exported_ms)} par {order.exported_by} \
({role})

Heures en heure légale française (Europe/Paris) ; le fichier manifest.json les donne
aussi en temps universel (UTC). L'heure de chaque image est celle de sa prise de vue :
horloge de la caméra transmise par RTCP quand elle concorde avec celle du centre
(« rtcp » dans manifest.json), sinon heure d'arrivée au centre, synchronisé par NTP
(« arrival ») ; chaque segment source indique la sienne (« time_source »). Un segment
enregistré pendant un saut de l'horloge du serveur porte l'ampleur de ce saut
(« clock_step_ms », en millisecondes) : son heure peut être décalée d'autant.

CONTENU
-------
{chr(10).join(_items(plans))}

Les vidéos (dossier clips/) sont les enregistrements d'origine, copiés sans
réencodage ni perte de qualité. Chaque fichier couvre une période d'enregistrement
continue ; les interruptions d'enregistrement sont indiquées ci-dessus et dans
manifest.json, elles ne sont pas masquées. Le premier fichier d'une période commence
sur l'image clé qui précède l'heure demandée.

VISIONNER
---------
Ouvrir player/index.html dans un navigateur (Firefox, Chrome, Edge), sans réseau :
lecture, pause, ralenti, accéléré, image par image, enregistrement de l'image en PNG,
identifiant et nom de la caméra, date et heure affichés à chaque image, recherche par
caméra, date et heure. Les fichiers MP4 se lisent aussi avec VLC.

VÉRIFIER L'INTÉGRITÉ
--------------------
1. Avec Beffroi (hors ligne, sans accès au centre) :
     beffroi verify {zip_name(order)} --fingerprint EMPREINTE
   où EMPREINTE est l'empreinte de la clé du centre, {_where_published(fingerprint_published_at)}.
   Ne prenez pas celle qu'indique ce paquet : un faussaire y écrirait la sienne.
   Résultat 0 : paquet intact et signé par cette clé. Sinon la commande nomme chaque
   fichier modifié, manquant ou ajouté, ou la signature qui ne convient pas.
2. Les empreintes SHA-256 de tous les fichiers sont dans SHA256SUMS ; depuis ce dossier :
     sha256sum -c SHA256SUMS        (Linux)
     shasum -a 256 -c SHA256SUMS    (macOS)
3. manifest.json est signé (Ed25519) par la clé de l'installation ; la signature est
   dans manifest.sig (base64). Le manifeste contient l'empreinte SHA-256 de chaque
   vidéo et de chaque autre fichier : une vidéo modifiée ne correspond plus au
   manifeste, un manifeste modifié ne correspond plus à la signature.
   Empreinte de la clé (SHA-256 de la clé publique brute) :
     {fingerprint(key)}
   Elle doit être identique à celle que publie le centre (voir le point 1).
   Vérification avec OpenSSL 3 : enregistrer la clé publique ci-dessous dans cle.pem, puis
     base64 -d manifest.sig > manifest.sig.bin
     openssl pkeyutl -verify -pubin -inkey cle.pem -rawin -in manifest.json \\
       -sigfile manifest.sig.bin

{pem}"""
    return text.replace("\n", "\r\n").encode("utf-8")
