"""The tariff-war game: teams play governments in rounds of a quarter."""

from simulator.game.game import GOVERNMENTS, Game, GameStore, Move

__all__ = ["GOVERNMENTS", "Game", "GameStore", "Move"]
