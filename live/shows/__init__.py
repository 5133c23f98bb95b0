"""Shows: a show's life (lifecycle), its lineup of offers and their stock (lineup), and how shows are read
(views)."""
