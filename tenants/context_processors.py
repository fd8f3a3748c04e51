from .selectors import client_list_for_user


def current_client(request):
    """The client switcher and the navigation need the user's clients on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    client = getattr(request, "client", None)
    nav = []
    if client is not None:
        from .views import NAV_SECTIONS

        for slug, label in NAV_SECTIONS:
            url = f"/c/{client.slug}/{slug}/"
            nav.append({"slug": slug, "label": label, "url": url, "active": request.path.startswith(url)})
    return {
        "user_clients": client_list_for_user(user=user),
        "current_client": client,
        "current_membership": getattr(request, "membership", None),
        "nav_sections": nav,
    }
