from .selectors import client_list_for_user


def current_client(request):
    """The client switcher needs the user's clients on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_clients": client_list_for_user(user=user),
        "current_client": getattr(request, "client", None),
        "current_membership": getattr(request, "membership", None),
    }
