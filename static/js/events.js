// The socket.io event names of the show room, in one place; they mirror live/realtime/protocol.py (the server's
// names) and tests/unit/test_event_names.py fails when the two lists part.

// Server -> client: what the room tells the pages.
export const SERVER = Object.freeze({
  SHOW: "show",
  CARD: "card",
  STOCK: "stock",
  CHAT: "chat",
  CHAT_REMOVED: "chat_removed",
  REACTIONS: "reactions",
  VIEWERS: "viewers",
  ORDER: "order",
  MODERATED: "moderated",
  ANSWERING: "answering",
  STAFF_ORDERS: "staff_orders",
  OFFER_COUNTERS: "offer_counters",
});

// Client -> server: what a page asks of the room (each answered by an acknowledgement).
export const CLIENT = Object.freeze({
  JOIN: "join",
  LEAVE: "leave",
  CHAT: "chat",
  REACT: "react",
  PUSH_CARD: "push_card",
  UNPIN_CARD: "unpin_card",
  START_DEAL: "start_deal",
  END_DEAL: "end_deal",
  DELETE_MESSAGE: "delete_message",
  MODERATE: "moderate",
  SLOW_MODE: "slow_mode",
  ANSWERING: "answering",
});
