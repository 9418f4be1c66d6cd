"""Access: who is asking (roles, region scope), tokens, audit (issue 11)."""
