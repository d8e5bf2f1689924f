"""API of the sales app: feedback (registered by sales.api)."""


def register(router) -> None:
    pass
