"""Everything a run leaves: files, console tables, TensorBoard events, pictures, the HTML page."""
