"""The directory: departments, representatives (absences, deputies) and users."""
