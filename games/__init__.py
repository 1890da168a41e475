"""Activity kinds (one module each) and decks (data)."""
