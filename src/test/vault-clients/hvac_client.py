"""One hvac call per run, as an application makes it, for HvacIT: the address and token come from VAULT_ADDR and
VAULT_TOKEN, exactly as hvac's Client() reads them. Prints one JSON object: {"value": ...} with what the call returned,
or {"error": "<hvac exception class>", "status": <HTTP status>} when hvac raised one. Nothing here knows Lanyard."""
import json
import sys
import warnings

import hvac
from hvac import exceptions

warnings.simplefilter("ignore")


def main(argv):
    client = hvac.Client()  # VAULT_ADDR, VAULT_TOKEN from the environment
    call, args = argv[0], argv[1:]
    try:
        if call == "read":
            mount, path = args[0], args[1]
            version = int(args[2]) if len(args) > 2 else None
            response = client.secrets.kv.v2.read_secret_version(path=path, mount_point=mount, version=version,
                                                                raise_on_deleted_version=True)
            value = {"data": response["data"]["data"], "version": response["data"]["metadata"]["version"]}
        elif call == "creds":
            response = client.secrets.database.generate_credentials(name=args[1], mount_point=args[0])
            value = {"lease_id": response["lease_id"], "lease_duration": response["lease_duration"],
                     "renewable": response["renewable"], "username": response["data"]["username"],
                     "password": response["data"]["password"]}
        elif call == "renew":
            response = client.sys.renew_lease(lease_id=args[0], increment=int(args[1]))
            value = {"lease_id": response["lease_id"], "lease_duration": response["lease_duration"]}
        elif call == "revoke":
            response = client.sys.revoke_lease(lease_id=args[0])
            value = {"status": response.status_code}
        elif call == "authenticated":
            value = client.is_authenticated()
        else:
            raise SystemExit("unknown call " + call)
    except exceptions.VaultError as error:
        print(json.dumps({"error": type(error).__name__, "status": getattr(error, "status_code", None),
                          "errors": getattr(error, "errors", None)}))
        return
    print(json.dumps({"value": value}))


if __name__ == "__main__":
    main(sys.argv[1:])
