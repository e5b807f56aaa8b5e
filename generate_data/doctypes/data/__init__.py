"""Data of the document types (word lists, printed labels and templates), kept apart from the code
that draws from them in `generate_data.doctypes`. A list's order is part of the output: `rng.choice`
picks by index, so reordering or extending a list changes every document drawn from it."""
