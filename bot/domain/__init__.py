"""Pure domain logic: no Slack, no database session, no I/O. Functions take `now` explicitly."""
