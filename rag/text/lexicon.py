"""Every word list the rules read, in one place.

Each list is as its rule needs it (lists that look alike differ on purpose: a rule
that drops sentence openers is not one that drops organisation-name openers); two are
merged only where rag.eval gives identical results. Nothing here is specific to one
corpus: no company's nickname, no article's people.
"""

from __future__ import annotations

# -- from text/spans.py -----------------------------------------------------

# Words that end with a period without ending a sentence.
ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "inc",
    "ltd",
    "co",
    "corp",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "u.s",
    "u.k",
    "u.n",
    "e.u",
    "no",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "gen",
    "gov",
    "sen",
    "rep",
    "approx",
}

# Spellings of one thing that news copy mixes freely: a question says "chief executive"
# where the article says "CEO", "German" where it says "Germany", "US" for "U.S.".
# Only the extractive answerer's term matching uses this; the indexes do not.
DEMONYMS = {
    "German": "Germany",
    "Spanish": "Spain",
    "French": "France",
    "British": "Britain",
    "Italian": "Italy",
    "Chinese": "China",
    "Japanese": "Japan",
    "Korean": "Korea",
    "American": "America",
    "European": "Europe",
    "Taiwanese": "Taiwan",
    "Indian": "India",
    "Canadian": "Canada",
    "Israeli": "Israel",
    "Swiss": "Switzerland",
    "Dutch": "Netherlands",
}

# Plain synonyms: a question says "previously" or "employees" where the article says
# "formerly" or "staff". The answerer's term matching and the keyword search accept
# any of them; the dense side needs no list.
SYNONYMS = (
    ("previously", "formerly", "former", "earlier"),
    ("employees", "staff", "workforce", "headcount", "workers"),
    ("hope", "hopes", "expect", "expects", "aim", "aims"),
    ("buy", "acquire", "purchase"),
    ("bought", "acquired", "purchased"),
)

LEADER_WORDS = "CEO chief executive head president chairman"

SPELLED_OUT = {
    "CEO": "chief executive",
    "CTO": "chief technology officer",
    "CFO": "chief financial officer",
    "USA": "US United States",
    "Britain": "UK British",
    "EU": "European Union",
}

# -- from text/question.py --------------------------------------------------

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself
    yourselves tell say said says according article articles mentioned report reported
    reports do does did also much many kind type sort""".split()
)

# "own" and "no" carry meaning in questions ("own shares", "no equity").
STOPWORDS = STOPWORDS - {"own", "no", "not"}

# Light verbs and hedges say little on their own: "give a speech", "put money into",
# "going well", "in total", "exactly how much". The article says "spoke", "invested",
# "great", "$13bn". ("go" stays a term: "go public".)
STOPWORDS = STOPWORDS | frozenset(
    """give gives gave given giving put puts putting take takes took taken taking make
    makes made making get gets got getting keep keeps kept going well
    total overall altogether exactly approximately roughly currently""".split()
)

# "Who is OpenAI's CEO?" is not answered by "Satya Nadella, chairman and CEO of Microsoft":
# a role the question binds to one organisation must not be, in the sentence, only
# another organisation's. Matched on canonical text (chief executive = CEO, U.S. = USA).
TITLE_WORDS = (
    r"CEO|CTO|CFO|chief \w+ officer|president|chair(?:man|woman)?|co-?founder|founder|boss|head"
)


LEADER_TITLES = frozenset({"ceo", "chief", "head", "president", "chair", "boss", "leader"})

# Heads too general to require ("the name of the chatbot", "what kind of deal").
GENERIC_HEADS = frozenset(
    """name names kind type sort role purpose goal point reason way status state thing
    things one ones part details detail amount total figure number value sum size""".split()
)

# "how much money" asks for an amount: the amount is the evidence, not the word.
AMOUNT_WORDS = {"money", "cash", "capital", "funding", "amount", "sum", "dollars", "euros"}

# In a question that asks for a number these words name the answer's type, which
# has_type checks: "what is the total amount Microsoft has put into OpenAI" is "how
# much…", and the sentence with the amount need not say "amount".
NUMBER_NOUNS = frozenset({"amount", "sum", "figure", "value", "number"})

# Words an elided second question may have besides its wh-word: "and on which day?"
ELIDED = frozenset("day date year month time much many long".split())

# -- from text/facts.py -----------------------------------------------------

SCALE = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "mln": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
}

CURRENCY_SIGN = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₩": "KRW"}

CURRENCY_WORD = {
    "dollar": "USD",
    "dollars": "USD",
    "usd": "USD",
    "euro": "EUR",
    "euros": "EUR",
    "eur": "EUR",
    "pound": "GBP",
    "pounds": "GBP",
    "sterling": "GBP",
    "gbp": "GBP",
    "yen": "JPY",
    "won": "KRW",
}

WORD_NUMBER = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "dozen": 12,
}

# "first" and "last" are left out: they are mostly not counts ("its first models").
ORDINAL = {
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}

FRACTION = {"half": 0.5, "three-quarters": 0.75, "three quarters": 0.75, "quarter": 0.25}

MONTHS = (
    "january february march april may june july august september october november december"
).split()

WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()

# -- from text/support.py ---------------------------------------------------

# Capitalised only because they open a sentence or a title ("However", "Its CEO",
# "Former CEO"): never a name or an organisation. (Two lists once, for names and for
# organisations; one list gives rag.eval identical results.)
NOT_NAMES = frozenset(
    """however additionally meanwhile accordingly also still although though yet thus
    therefore moreover furthermore instead today recently last this that these those its
    it he she they we in on at for as while since after before under unlike like
    their his her our the a an then former new interim acting deputy who what""".split()
)

# -- from text/followup.py --------------------------------------------------

STARTERS = {
    "And",
    "What",
    "Who",
    "Where",
    "When",
    "Why",
    "How",
    "Which",
    "Did",
    "Does",
    "Do",
    "Is",
    "Are",
    "Was",
    "Were",
    "Can",
    "Could",
    "Will",
    "Would",
    "The",
    "A",
    "An",
    "In",
    "On",
    "So",
    "But",
    "Also",
    "Tell",
    "Then",
    "I",
}

# -- from ingest/clean.py ---------------------------------------------------

SMALL_WORDS = {
    "a",
    "an",
    "and",
    "as",
    "at",
    "but",
    "by",
    "for",
    "in",
    "of",
    "on",
    "or",
    "the",
    "to",
    "with",
    "from",
    "into",
    "over",
    "is",
    "are",
    "be",
    "vs",
    "via",
    "after",
    "its",
}

# -- from answer/extractive.py ----------------------------------------------

# A sentence that opens with a pronoun, does "this", or names a "shell noun" ("this
# effort", "the move") points back at what the sentence before it said.
SHELL_NOUNS = (
    "effort|efforts|move|step|decision|plan|idea|approach|strategy|initiative|venture|project"
    "|endeavor|endeavour|development|situation|issue|problem"
)
