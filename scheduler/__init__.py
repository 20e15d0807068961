"""Time rules: periods, the calendar and (later) scheduled jobs. Pure where possible."""
