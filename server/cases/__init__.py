"""Cases: sessions waiting for, or decided by, a person; their queue, their page, and reviewers' actions."""
