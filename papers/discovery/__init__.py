"""Discovery: related papers and the "for you" list of a member."""
