"""The case pages: list, register and edit, proposals and booking, the case page; importing the
package registers their routes on web_bp."""

from booking.web.views.cases import booking, covers, detail, documents, editing, listing

__all__ = ["booking", "covers", "detail", "documents", "editing", "listing"]
