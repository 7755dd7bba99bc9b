"""Dörren in: booking service for municipal business forums."""
