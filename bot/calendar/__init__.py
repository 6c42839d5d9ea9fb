"""Calendar feeds: private iCalendar (RFC 5545) feeds per person and project (issue 17)."""
