"""API of the sales app: reports (registered by sales.api)."""


def register(router) -> None:
    pass
