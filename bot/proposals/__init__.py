"""Changes asked for in plain language, held until the asker confirms them (issue 14)."""
