// The embeddable player: being built.
