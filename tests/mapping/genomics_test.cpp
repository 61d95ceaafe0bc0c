// Tests to come with the rules they cover.
