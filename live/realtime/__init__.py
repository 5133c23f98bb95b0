"""The live show room over socket.io: who is connected, what they see on joining, and every event the room
sends (cards, stock, chat, reactions, viewer count, show state, the buyer's own orders)."""
