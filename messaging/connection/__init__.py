"""The shop's Cafe24 connection: OAuth install and removal, access tokens, the storefront script
tag, and what Cafe24 tells us through its webhook (orders, the app being deleted)."""
