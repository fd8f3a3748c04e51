"""The audience builder: filter catalog, rule tree <-> IR, descriptions (pure, no Django), plus
``members`` — the campaigns' hand-off — which imports the Django side lazily so this package
stays importable (and testable) without a database."""


def members(*, client, segment):
    """Iterator of (uuid, member_id) of the segment's latest snapshot (member_id '' for guests).

    For campaigns (messaging): read the members a refresh froze, not a live query, so a send
    and its report see the same people.
    """
    from insights.segments import segment_members

    return segment_members(client=client, segment=segment)
