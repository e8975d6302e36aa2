class XorjaxError(Exception):
    """A problem the user can fix (a setting, a file): shown as one line, never as a traceback."""
