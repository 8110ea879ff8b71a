"""Drives a secondary node with an unmodified pyhandle RESTHandleClient (issue 11, item 4).

Usage: driver.py BASE_URL IDENTITY PASSWORD FOREIGN_PREFIX   (tests/pyhandle/run.sh passes them)
Create, modify, read, delete under the identity's prefix, then a write under a foreign prefix
that must be refused. Exits non-zero on the first failed expectation.
"""
import sys

from pyhandle.client.resthandleclient import RESTHandleClient
from pyhandle.handleexceptions import GenericHandleError, HandleAuthenticationError


def expect(condition, message):
    if not condition:
        print("FAIL: " + message)
        sys.exit(1)
    print("ok: " + message)


def main():
    base_url, identity, password, foreign_prefix = sys.argv[1:5]
    prefix = identity.split(":", 1)[1].split("/", 1)[0]
    # Plain HTTP on loopback: pyhandle only verifies certificates on https.
    client = RESTHandleClient.instantiate_with_username_and_password(base_url, identity, password, HTTPS_verify=False)

    handle = prefix + "/pyhandle-1"
    created = client.register_handle(handle, "https://example.cn/py/1", checksum="sha256:abc")
    expect(created == handle, "register_handle created " + handle)

    record = client.retrieve_handle_record(handle)
    expect(record is not None and record.get("URL") == "https://example.cn/py/1", "retrieve_handle_record reads the URL")
    expect(record.get("CHECKSUM") == "sha256:abc", "retrieve_handle_record reads the CHECKSUM")

    client.modify_handle_value(handle, URL="https://example.cn/py/1b", EMAIL="pid@example.cn")
    expect(client.get_value_from_handle(handle, "URL") == "https://example.cn/py/1b", "modify_handle_value changed the URL")
    expect(client.get_value_from_handle(handle, "EMAIL") == "pid@example.cn", "modify_handle_value added EMAIL")

    client.delete_handle_value(handle, "CHECKSUM")
    expect(client.get_value_from_handle(handle, "CHECKSUM") is None, "delete_handle_value removed CHECKSUM")

    generated = client.generate_and_register_handle(prefix, "https://example.cn/gen")
    expect(client.get_value_from_handle(generated, "URL") == "https://example.cn/gen", "generate_and_register_handle " + generated)
    client.delete_handle(generated)

    expect(client.delete_handle(handle) == handle, "delete_handle")
    expect(client.retrieve_handle_record_json(handle) is None, "the deleted handle is gone")

    try:
        client.register_handle(foreign_prefix + "/from-" + prefix, "https://evil.example.cn/", overwrite=True)
        expect(False, "a write under the foreign prefix " + foreign_prefix + " must be refused")
    except (GenericHandleError, HandleAuthenticationError) as error:
        # pyhandle's GenericHandleError does not always carry the reply (it is passed as "reponse").
        expect(True, "a write under " + foreign_prefix + " is refused: " + type(error).__name__ + ": " + str(error)[:200])
    expect(client.retrieve_handle_record_json(foreign_prefix + "/from-" + prefix) is None, "nothing was written under " + foreign_prefix)

    wrong = RESTHandleClient.instantiate_with_username_and_password(base_url, identity, password + "-wrong", HTTPS_verify=False)
    try:
        wrong.register_handle(prefix + "/wrong-password", "https://x.example.cn/", overwrite=True)
        expect(False, "a wrong password must be refused")
    except HandleAuthenticationError:
        expect(True, "a wrong password is HandleAuthenticationError")
    print("pyhandle: all expectations met")


if __name__ == "__main__":
    main()
