"""The sentences every prepared encoder graph is checked on (prepare_model.py, export_onnx.py)."""

SENTENCES = [
    "Where is my order? It was supposed to arrive yesterday.",
    "I want a refund for the broken headphones",
    "thanks so much, the support team was amazing!!",
    "Can't log in to my account after the password reset",
    "what's the weather like in Lisbon tomorrow",
    "hi",
    "The app crashes every time I open the settings page on Android 14",
    "Your delivery driver left the parcel in the rain and now it's ruined. Unacceptable.",
    "Do you ship to Canada, and how long does it take?",
    "🙂🙂🙂",
    "Je voudrais annuler ma commande s'il vous plaît",
    "How do I change the email address on my account?",
    "lol this brand is the best, never changing",
    "I've been on hold for 2 hours, this is the worst customer service ever",
    "Is the blue version of the jacket available in medium?",
    "card payment declined but money left my bank account",
    # Short praise and commands: where int8 strays furthest from float on CPUs without VNNI.
    "you are helpful, appreciated.",
    "say joke",
]
