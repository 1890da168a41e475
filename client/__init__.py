"""Static browser pages (HTML/CSS/ES modules), served by server/pages.py; no Python here."""
