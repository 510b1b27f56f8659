"""The Python example of the SSP specification (specs/ssp-bid-request.md),
as written there, with BASE_URL and API_KEY taken from the command line and
one call to run it: `python3 bid_request_example.py <url> <key>`."""

import sys
import uuid
import requests

BASE_URL = sys.argv[1]
API_KEY = sys.argv[2]


def get_user_id():
    # Use your own anonymous, non-PII user identifier
    return f"user_{uuid.uuid4()}"


def get_chat_id():
    # One chat_id per conversation
    return f"chat_{uuid.uuid4()}"


def make_bid_request(conversation_messages, production=True, turn_number=0):
    payload = {
        "userId": get_user_id(),
        "chatId": get_chat_id(),
        "messages": conversation_messages,
        "production": production,
        "turn_number": turn_number,
    }

    headers = {
        "thrad-api-key": API_KEY,
        "Content-Type": "application/json",
    }

    response = requests.post(BASE_URL, json=payload, headers=headers, timeout=5)
    response.raise_for_status()
    data = response.json()

    bid = data.get("data", {}).get("bid")
    if bid:
        print("Got bid:", bid)
    else:
        print("No bid available")

    return data


if __name__ == "__main__":
    make_bid_request(
        [
            {"role": "user", "content": "Looking for running shoes", "timestamp": "2024-11-23T10:00:00Z"},
            {"role": "assistant", "content": "What's your budget?", "timestamp": "2024-11-23T10:00:15Z"},
        ],
        production=True,
        turn_number=4,
    )
