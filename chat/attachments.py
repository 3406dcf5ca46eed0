"""Attachments: uploads normalised and stored once, and what each provider is sent.

Uploading (an HTTP request, never the websocket) normalises the file with `media`, stores the
bytes once per content through Django's storage API, and records an Attachment not yet tied to
a message. Sending ties the composer's attachments to the user's message. Each run then fits
every attachment of its history to its provider's limits and records what it sent.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver

from chat.models import Attachment, Blob, Conversation, Message
from chat.renditions import RENDITIONS
from connections import llm
from connections.models import Connection
from media import (
    AUDIO_TYPES,
    IMAGE_LIMITS,
    IMAGE_TYPES,
    AudioFile,
    ImageFile,
    MediaRejected,
    audio_target,
    convert_audio,
    estimated_image_tokens,
    fit_image,
    normalize_audio,
    normalize_image,
    sniff,
)
from media.errors import size_text

DETAILS = ("auto", "low", "high")
MB = 2**20


def _kind_of(data: bytes, claimed_type: str) -> str:
    real = sniff(data)
    if real in IMAGE_TYPES or real == "image/svg+xml" or claimed_type.startswith("image/"):
        return Attachment.Kind.IMAGE
    if real in AUDIO_TYPES or claimed_type.startswith(("audio/", "video/webm")):
        return Attachment.Kind.AUDIO
    raise MediaRejected(
        "Only images (JPEG, PNG, WebP, GIF, HEIC, BMP, TIFF) and audio (WAV, MP3, OGG, WebM, "
        "FLAC, M4A) can be attached."
    )


def _read(upload: UploadedFile, limit_bytes: int) -> bytes:
    if upload.size is not None and upload.size > limit_bytes:
        raise MediaRejected(
            f"{upload.name} is {size_text(upload.size)}; the limit is {size_text(limit_bytes)}."
        )
    return upload.read()


def checked_upload(upload: UploadedFile) -> tuple[str, str, bytes, str, ImageFile | AudioFile]:
    """(name, claimed type, bytes, kind, normalised file) of one uploaded file; raises
    MediaRejected when it cannot be used. Writes nothing."""
    limit = max(settings.PLAYGROUND_MAX_IMAGE_MB, settings.PLAYGROUND_MAX_AUDIO_MB) * MB
    data = _read(upload, int(limit))
    claimed = (upload.content_type or "").lower()
    kind, processed = normalized(data, claimed)
    return upload.name or "attachment", claimed, data, kind, processed


def store_upload(conversation: Conversation, user: Any, upload: UploadedFile) -> Attachment:
    """Normalise one uploaded file and store it. Refused files raise MediaRejected and leave
    no row and no file behind."""
    return save_normalized(conversation, user, *checked_upload(upload))


def normalized(data: bytes, claimed: str) -> tuple[str, ImageFile | AudioFile]:
    """(the kind, the bytes as stored) of a file, checked and normalised; MediaRejected when
    it cannot be used. Writes nothing."""
    kind = _kind_of(data, claimed)
    processed: ImageFile | AudioFile
    if kind == Attachment.Kind.IMAGE:
        processed = normalize_image(
            data,
            claimed,  # a claim of another kind is a mismatch too
            max_bytes=int(settings.PLAYGROUND_MAX_IMAGE_MB * MB),
            max_pixels=settings.PLAYGROUND_MAX_IMAGE_PIXELS,
        )
    else:
        processed = normalize_audio(
            data,
            claimed,
            max_bytes=int(settings.PLAYGROUND_MAX_AUDIO_MB * MB),
            max_seconds=settings.PLAYGROUND_MAX_AUDIO_SECONDS,
        )
    return kind, processed


def save_normalized(conversation: Conversation, user: Any, name: str, claimed: str,
                    data: bytes, kind: str, processed: ImageFile | AudioFile,
                    **extra: Any) -> Attachment:  # fmt: skip
    """Store a file `normalized` returned, as an attachment of `conversation`."""
    fields = {
        "conversation": conversation, "kind": kind, "name": name[:255],
        "original_type": claimed[:100], "original_size": len(data),
        "media_type": processed.media_type, "width": getattr(processed, "width", None),
        "height": getattr(processed, "height", None),
        "duration_s": getattr(processed, "duration_s", None), "notes": list(processed.notes),
        "created_by": user, **extra,
    }  # fmt: skip
    try:
        return _save(processed.data, processed.media_type, fields)
    except IntegrityError:  # the same bytes stored by a concurrent upload: use theirs
        return _save(processed.data, processed.media_type, fields)


def _save(data: bytes, media_type: str, fields: dict[str, Any]) -> Attachment:
    """The blob (its file written only the first time these bytes are seen) and the row, in
    one transaction; a file written for a transaction that fails is removed again."""
    sha = hashlib.sha256(data).hexdigest()
    written = ""
    try:
        with transaction.atomic():
            blob = Blob.objects.select_for_update().filter(pk=sha).first()
            if blob is None:
                blob = Blob(sha256=sha, media_type=media_type, size=len(data))
                blob.file.save(sha, ContentFile(data), save=False)
                written = blob.file.name
                blob.save(force_insert=True)
            return Attachment.objects.create(blob=blob, **fields)
    except BaseException:
        if written:
            default_storage.delete(written)
        raise


def copied(attachment: Attachment, conversation: Conversation, message: Any, owner: Any
           ) -> Attachment:  # fmt: skip
    """An unsaved copy of `attachment` for another message (a fork, a re-run, an edit): the
    same stored bytes, by reference."""
    return Attachment(
        conversation=conversation, message=message, blob_id=attachment.blob_id,
        kind=attachment.kind, name=attachment.name, original_type=attachment.original_type,
        original_size=attachment.original_size, media_type=attachment.media_type,
        width=attachment.width, height=attachment.height, duration_s=attachment.duration_s,
        detail=attachment.detail, notes=attachment.notes, created_by=owner,
    )  # fmt: skip


def max_recording_seconds() -> int:
    """The longest recording an upload may hold, in whole seconds (the recorder's limit)."""
    return int(settings.PLAYGROUND_MAX_AUDIO_SECONDS)


def pending(conversation: Conversation) -> list[Attachment]:
    """Attached in the composer but not sent yet."""
    return list(conversation.attachments.filter(message__isnull=True).select_related("blob"))


def check_room(conversation: Conversation, adding: int) -> None:
    """A message takes at most PLAYGROUND_MAX_ATTACHMENTS: refuse uploads beyond that."""
    limit = settings.PLAYGROUND_MAX_ATTACHMENTS
    waiting = conversation.attachments.filter(message__isnull=True).count()
    if waiting + adding > limit:
        raise MediaRejected(
            f"A message takes at most {limit} attachments and {waiting} are waiting; remove "
            "some or send them first."
        )


def remove_pending(attachment_id: str, conversation: Conversation) -> bool:
    """The composer's × on a chip: only an attachment not yet sent can be removed."""
    deleted, _ = Attachment.objects.filter(
        pk=attachment_id, conversation=conversation, message__isnull=True
    ).delete()
    return bool(deleted)


@receiver(post_delete, sender=Attachment)
def _release_blob(sender: type, instance: Attachment, **kwargs: Any) -> None:
    """The last attachment of some bytes takes them along (row and file), once committed."""
    blob_id = instance.blob_id
    transaction.on_commit(lambda: release_blob(blob_id))


def release_blob(blob_id: str) -> None:
    with transaction.atomic():
        blob = Blob.objects.select_for_update().filter(pk=blob_id).first()
        if blob is None or blob.attachments.exists():
            return
        name = blob.file.name
        blob.delete()
    blob.file.storage.delete(name)


# -- sending -------------------------------------------------------------------------------


def attachments_for_send(
    conversation: Conversation, ids: Iterable[str], details: dict[str, str]
) -> list[Attachment]:
    """The composer's attachments, checked: this conversation's, not sent yet, not too many."""
    wanted = [i for i in dict.fromkeys(ids) if i]
    if len(wanted) > settings.PLAYGROUND_MAX_ATTACHMENTS:
        raise ValidationError(
            {"attachments": f"At most {settings.PLAYGROUND_MAX_ATTACHMENTS} attachments a message."}
        )
    if not wanted:
        return []  # most turns: no query
    found = {
        str(a.pk): a
        for a in Attachment.objects.filter(
            pk__in=[i for i in wanted if _is_uuid(i)], conversation=conversation
        ).select_related("blob")  # the chips show the size
    }
    missing = [i for i in wanted if i not in found or found[i].message_id is not None]
    if missing:
        raise ValidationError(
            {"attachments": "An attachment is gone (already sent or removed); attach it again."}
        )
    attachments = [found[i] for i in wanted]
    for attachment in attachments:
        detail = details.get(str(attachment.pk), "")
        attachment.detail = detail if detail in DETAILS else ""
    return attachments


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def check_model_takes(connection: Connection, model: str, attachments: list[Attachment],
                      usable: Q) -> None:  # fmt: skip
    """Refuse, before any request, media the chosen model cannot take, naming which of the
    connections `usable` (the sender's rule from accounts.permissions) lets them use can."""
    caps = llm.model_capabilities(connection.kind, model)
    for kind, allowed, noun in (
        (Attachment.Kind.IMAGE, caps.images, "images"),
        (Attachment.Kind.AUDIO, caps.audio, "audio"),
    ):
        if allowed or not any(a.kind == kind for a in attachments):
            continue
        able = [
            f"{c.name} ({llm.provider_label(c.kind)})"
            for c in llm.available_connections(usable)
            if getattr(llm.model_capabilities(c.kind, None), noun)  # .images or .audio
        ]
        where = f" Connections whose models can: {', '.join(able)}." if able else ""
        raise ValidationError(
            {
                "attachments": f"{model} on {connection.name} cannot take {noun}; remove the "
                f"attachment or choose another model.{where}"
            }
        )


@dataclass(frozen=True)
class SentPart:
    part: Any  # an llm.Image or llm.Audio
    record: dict[str, Any]  # what the run footer shows


def parts_for(provider: str, model: str, attachments: Iterable[Attachment]) -> list[SentPart]:
    """Each attachment fitted to what `provider` takes (image limits, audio formats). A
    stored file that no longer decodes raises MediaRejected naming it."""
    return [_part(provider, model, attachment) for attachment in attachments]


def _part(provider: str, model: str, attachment: Attachment) -> SentPart:
    try:
        if attachment.kind == Attachment.Kind.IMAGE:
            return _image_part(provider, model, attachment)
        return _audio_part(provider, attachment)
    except MediaRejected as error:
        raise MediaRejected(
            f"{attachment.name} could not be prepared for {model}: {error} Attach the "
            "file again in a new message, or choose a model that takes it as it is."
        ) from None


def _stored_bytes(attachment: Attachment) -> bytes:
    # A handle of its own: the panes of one turn share the Attachment and fit it in
    # parallel threads, and FieldFile.open() hands each the one handle the first closes.
    stored_file = attachment.blob.file
    with stored_file.storage.open(stored_file.name, "rb") as stored:
        return stored.read()


def _image_part(provider: str, model: str, attachment: Attachment) -> SentPart:
    def fitted() -> ImageFile:
        image = ImageFile(
            _stored_bytes(attachment), attachment.media_type, attachment.width or 0,
            attachment.height or 0, tuple(attachment.notes),
        )  # fmt: skip
        limits = IMAGE_LIMITS.get(provider)
        return fit_image(image, limits) if limits is not None else image

    image = RENDITIONS.get((attachment.blob_id, "image", provider), fitted)
    takes_detail = llm.model_capabilities(provider, None).image_detail
    detail = (attachment.detail or None) if takes_detail else None
    record = {
        "name": attachment.name, "kind": "image", "media_type": image.media_type,
        "width": image.width, "height": image.height, "bytes": len(image.data),
        "tokens": estimated_image_tokens(provider, image.width, image.height, detail, model),
        "detail": detail or "", "notes": list(image.notes),
    }  # fmt: skip
    return SentPart(llm.Image(image.data, image.media_type, detail), record)


def _audio_part(provider: str, attachment: Attachment) -> SentPart:
    target = audio_target(provider, attachment.media_type)

    def converted() -> AudioFile:
        audio = AudioFile(
            _stored_bytes(attachment), attachment.media_type, attachment.duration_s or 0.0
        )
        return convert_audio(audio, target) if target else audio

    audio = RENDITIONS.get((attachment.blob_id, "audio", target), converted)
    notes = [f"Converted from {attachment.media_type} to {target}."] if target else []
    record = {
        "name": attachment.name, "kind": "audio", "media_type": audio.media_type,
        "bytes": len(audio.data), "duration_s": round(audio.duration_s, 1), "notes": notes,
    }  # fmt: skip
    return SentPart(llm.Audio(audio.data, audio.media_type), record)


def history_parts(
    provider: str, model: str, history: Iterable[Message]
) -> tuple[dict[int, list[Any]], list[dict[str, Any]]]:
    """The parts of every user message of a run's history, fitted to its provider, and the
    records of what was sent. Earlier attachments the model cannot take (the model was
    changed since) are left out and said so, rather than failing the run."""
    caps = llm.model_capabilities(provider, model)
    parts: dict[int, list[Any]] = {}
    records: list[dict[str, Any]] = []
    for message in history:
        for attachment in message.attached:
            if not (caps.images if attachment.kind == Attachment.Kind.IMAGE else caps.audio):
                records.append({"name": attachment.name, "kind": attachment.kind,
                                "left_out": f"{model} takes no {attachment.kind}s"})  # fmt: skip
                continue
            sent = parts_for(provider, model, [attachment])[0]
            parts.setdefault(message.pk, []).append(sent.part)
            records.append(sent.record)
    return parts, records
