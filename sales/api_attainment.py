"""API of the sales app: attainment (registered by sales.api)."""


def register(router) -> None:
    pass
