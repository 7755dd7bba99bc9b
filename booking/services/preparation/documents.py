"""Documents a business uploads for its case before the meeting (issue 14 §4).

Stored in the database with the case (one backup holds them; retention removes them with the
case's personal data), accepted only as PDF, PNG or JPEG by their bytes
(booking.domain.documents), audited without their content, never in a feed.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, defer

from booking.domain import documents as rules
from booking.models import Case, CaseDocument
from booking.services import audit
from booking.services.errors import NotFound, ServiceError

ENTITY = "case_document"


class TooLarge(ServiceError):
    """The file is larger than one document may be (the web answers 413)."""

    status = 413
    code = "too_large"


def for_case(db: Session, case_id: int) -> list[CaseDocument]:
    """The case's documents, oldest first, without their bytes (a listing never needs them)."""
    return list(
        db.scalars(
            select(CaseDocument)
            .where(CaseDocument.case_id == case_id)
            .options(defer(CaseDocument.data))
            .order_by(CaseDocument.uploaded_at, CaseDocument.id)
        )
    )


def upload(
    db: Session,
    case_id: int,
    filename: str,
    data: bytes,
    actor: audit.Actor,
    now: datetime,
) -> CaseDocument:
    """Attach one file to the case, after checking its size, the case's count and its type
    (by its bytes; ``filename`` only names it). Audited: who, the case, name and size. Commits."""
    if not data:
        raise ServiceError("Choose a file to upload.", reason="document_missing")
    if len(data) > rules.MAX_FILE_BYTES:
        raise TooLarge(
            f"The file is larger than {rules.MAX_FILE_BYTES // rules.MB} MB.",
            {"max_mb": rules.MAX_FILE_BYTES // rules.MB},
            reason="document_too_large",
        )
    content_type = rules.detect_type(data)
    if content_type is None:
        raise ServiceError(
            f"Only {rules.ALLOWED_TYPES_TEXT} files are accepted.",
            {"allowed": rules.ALLOWED_TYPES_TEXT},
            reason="document_type",
        )
    # Written first, counted after: the flush takes SQLite's write lock and the row lock
    # below PostgreSQL's, so of two uploads at once the second counts the first's file and
    # neither can be the 21st.
    db.execute(select(Case.id).where(Case.id == case_id).with_for_update())
    document = CaseDocument(
        case_id=case_id,
        filename=rules.safe_filename(filename, content_type),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_by=actor.label,
    )
    db.add(document)
    db.flush()
    count = db.scalar(select(func.count(CaseDocument.id)).where(CaseDocument.case_id == case_id))
    if (count or 0) > rules.MAX_FILES_PER_CASE:
        db.rollback()
        raise ServiceError(
            f"A case holds at most {rules.MAX_FILES_PER_CASE} documents.",
            {"max_files": rules.MAX_FILES_PER_CASE},
            reason="document_limit",
        )
    # The name may be personal data: it sits in the snapshot, which retention scrubs.
    audit.record(
        db, actor, ENTITY, document.id, "upload", case_id=case_id, at=now,
        after={"filename": document.filename, "size": document.size,
               "content_type": content_type},
    )  # fmt: skip
    db.commit()
    return document


def get(db: Session, case_id: int, document_id: int) -> CaseDocument:
    """One document of the case, with its bytes; a document of another case is not found."""
    document = db.get(CaseDocument, document_id)
    if document is None or document.case_id != case_id:
        raise NotFound("No such document.", {"document_id": document_id})
    return document


def remove_for_case(db: Session, case_id: int) -> int:
    """Delete every document of the case (retention); returns how many. No commit: the
    caller's transaction removes them together with the case's other personal data."""
    result = db.execute(
        delete(CaseDocument)
        .where(CaseDocument.case_id == case_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
