"""Joint publications and venues: papers, deadlines (AoE too), partner-review back-planning (issue 17)."""
