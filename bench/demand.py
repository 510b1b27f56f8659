"""Writes SQL for the SSP benchmark: N active, approved campaigns of the
demo organization, each with one ad group (two context hints from a
vocabulary of topics) and one chat-card ad, with ample budget, and a
publisher setting without a rate limit that matters.

`python3 demand.py N > demand.sql`"""

import sys
import uuid

N = int(sys.argv[1])
ORG = "0d3e0000-0000-4000-8000-000000000001"
TOPICS = [f"{a} {b}" for a in ["running", "trail", "yoga", "travel", "coffee", "garden", "gaming", "camera",
                                 "kitchen", "office", "hiking", "cycling", "winter", "summer", "budget", "premium",
                                 "kids", "pet", "home", "car"]
          for b in ["shoes", "gear", "deals", "insurance", "books", "apps", "courses", "tools", "snacks", "loans"]]

STOPWORDS = {"a", "an", "and", "are", "for", "i", "in", "is", "it", "my", "of", "on", "or", "the", "to", "with", "you"}


def singular(word):
    # Mirrors adspin_core::catalog::hints::words.
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


print("BEGIN;")
print(f"UPDATE publishers SET rate_limit_per_second = 1000000 WHERE organization_id = '{ORG}';")
print(f"INSERT OR IGNORE INTO publishers (organization_id, rate_limit_per_second, created_at, updated_at) "
      f"VALUES ('{ORG}', 1000000, unixepoch(), unixepoch());")
for i in range(N):
    c, g, a = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    pair = [TOPICS[i % len(TOPICS)], TOPICS[(i * 7 + 3) % len(TOPICS)]]
    hints = f'["{pair[0]}", "{pair[1]}"]'
    bid = 1_000_000 + (i % 50) * 100_000
    print(f"INSERT INTO campaigns (id, organization_id, name, status, review_status, start_time, lifetime_spend_limit_micros,"
          f" recurring_frequency, pricing_model, created_at, updated_at) VALUES ('{c}', '{ORG}', 'Bench {i}', 'active',"
          f" 'approved', unixepoch() - 60, 1000000000000, 'monthly', 'cpm', unixepoch(), unixepoch());")
    print(f"INSERT INTO ad_groups (id, organization_id, campaign_id, name, context_hints, status, max_bid_micros, creative_type,"
          f" created_at, updated_at) VALUES ('{g}', '{ORG}', '{c}', 'Group {i}', '{hints}', 'active', {bid}, 'chat_card',"
          f" unixepoch(), unixepoch());")
    for index, hint in enumerate(pair):
        words = sorted({singular(w) for w in hint.lower().split()} - STOPWORDS)
        for word in words:
            print(f"INSERT OR IGNORE INTO ad_group_hint_words (word, ad_group_id, hint, hint_words)"
                  f" VALUES ('{word}', '{g}', {index}, {len(words)});")
        # Mirrors shared::advertiser::store::anchor_word: longest, then alphabetical.
        anchor = sorted(words, key=lambda w: (-len(w), w))[0]
        print(f"INSERT OR IGNORE INTO ad_group_hint_anchors (word, ad_group_id, hint)"
              f" VALUES ('{anchor}', '{g}', {index});")
    creative = ('{"type":"chat_card","title":"Bench ad %d","body":"Benchmark creative","target_url":"https://example.com/%d"}'
                % (i, i))
    print(f"INSERT INTO ads (id, organization_id, campaign_id, ad_group_id, name, status, creative, created_at, updated_at)"
          f" VALUES ('{a}', '{ORG}', '{c}', '{g}', 'Ad {i}', 'active', '{creative}', unixepoch(), unixepoch());")
print("COMMIT;")
