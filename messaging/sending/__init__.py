"""Getting a campaign's messages out: claiming deliveries a wave at a time, rendering each
recipient's text, the web push and Cafe24 SMS senders, test sends, and who can be reached
(push subscriptions, members' contacts)."""
