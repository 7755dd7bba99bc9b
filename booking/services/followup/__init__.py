"""After the meeting: minutes, the agreed follow-up points, NKI surveys, statistics, retention."""
