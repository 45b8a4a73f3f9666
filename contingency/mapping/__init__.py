"""Map layers shared by the board and the exports, and the renderers that draw them."""
