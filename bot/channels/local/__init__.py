"""The local chat: a group chat in the terminal, and .chat scripts played on a simulated clock."""
