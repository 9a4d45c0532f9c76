"""Cognito as the directory of people: create, change, disable, sign in.

The only module that calls Cognito's admin API. The user pool's custom attributes
``tenant_id`` and ``role`` end up in the ID token, which the authorizer trusts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..domain.errors import Conflict, InvalidInput, Unauthorized
from ..settings import settings


@lru_cache(maxsize=1)
def _client() -> Any:
    import boto3  # lazily: importing the app must not build clients
    return boto3.client("cognito-idp", region_name=settings().region)


@dataclass(frozen=True)
class SignIn:
    tokens: dict | None = None  # IdToken, AccessToken, RefreshToken, ExpiresIn
    challenge: str | None = None
    session: str | None = None


def create_user(email: str, name: str, tenant_id: str, role: str, *, temporary_password: str | None = None,
                send_invite: bool = True) -> str:
    """Create a person in the pool; Cognito e-mails the temporary password unless told not to.
    Returns their ``sub``. Raises Conflict(email) when the address is already in use."""
    client = _client()
    args: dict[str, Any] = {
        "UserPoolId": settings().user_pool_id,
        "Username": email,
        "UserAttributes": [
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "name", "Value": name},
            {"Name": "custom:tenant_id", "Value": tenant_id},
            {"Name": "custom:role", "Value": role},
        ],
        "DesiredDeliveryMediums": ["EMAIL"],
    }
    if temporary_password:
        args["TemporaryPassword"] = temporary_password
    if not send_invite:
        args["MessageAction"] = "SUPPRESS"
    try:
        user = client.admin_create_user(**args)["User"]
    except client.exceptions.UsernameExistsException:
        raise Conflict("That e-mail address already has a PropDesk account.",
                       {"email": "already has a PropDesk account"}) from None
    except client.exceptions.InvalidParameterException as exc:
        raise InvalidInput("Cognito refused the address.", {"email": str(exc)}) from None
    attrs = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
    return attrs.get("sub") or user["Username"]


def set_password(email: str, password: str) -> None:
    """Operators and the local stack only: give a user a permanent password."""
    _client().admin_set_user_password(UserPoolId=settings().user_pool_id, Username=email, Password=password,
                                      Permanent=True)


def set_role(email: str, role: str) -> None:
    _client().admin_update_user_attributes(UserPoolId=settings().user_pool_id, Username=email,
                                           UserAttributes=[{"Name": "custom:role", "Value": role}])


def set_active(email: str, active: bool) -> None:
    client = _client()
    if active:
        client.admin_enable_user(UserPoolId=settings().user_pool_id, Username=email)
    else:
        client.admin_disable_user(UserPoolId=settings().user_pool_id, Username=email)
        client.admin_user_global_sign_out(UserPoolId=settings().user_pool_id, Username=email)


def delete_user(email: str) -> None:
    client = _client()
    try:
        client.admin_delete_user(UserPoolId=settings().user_pool_id, Username=email)
    except client.exceptions.UserNotFoundException:
        pass


def sign_in(email: str, password: str) -> SignIn:
    client = _client()
    try:
        answer = client.admin_initiate_auth(UserPoolId=settings().user_pool_id, ClientId=settings().client_id,
                                            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                            AuthParameters={"USERNAME": email, "PASSWORD": password})
    except (client.exceptions.NotAuthorizedException, client.exceptions.UserNotFoundException):
        raise Unauthorized("E-mail or password is not right, or the account is disabled.") from None
    return _sign_in_result(answer)


def complete_new_password(email: str, session: str, new_password: str) -> SignIn:
    client = _client()
    try:
        answer = client.admin_respond_to_auth_challenge(
            UserPoolId=settings().user_pool_id, ClientId=settings().client_id, ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=session, ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": new_password})
    except client.exceptions.InvalidPasswordException as exc:
        raise InvalidInput("Choose a stronger password.", {"new_password": str(exc).split(": ", 1)[-1]}) from None
    except (client.exceptions.NotAuthorizedException, client.exceptions.CodeMismatchException):
        raise Unauthorized("The sign-in session has expired; sign in again.") from None
    return _sign_in_result(answer)


def _sign_in_result(answer: dict) -> SignIn:
    if "AuthenticationResult" in answer:
        result = answer["AuthenticationResult"]
        return SignIn(tokens={k: result[k] for k in ("IdToken", "AccessToken", "RefreshToken", "ExpiresIn")
                              if k in result})
    return SignIn(challenge=answer.get("ChallengeName"), session=answer.get("Session"))


def send_invitation(email: str) -> None:
    """(Re)send Cognito's invitation with a temporary password."""
    _client().admin_create_user(UserPoolId=settings().user_pool_id, Username=email, MessageAction="RESEND",
                                DesiredDeliveryMediums=["EMAIL"])


def refresh(refresh_token: str) -> dict:
    """New ID and access tokens for a refresh token; Unauthorized when it was revoked,
    expired, or its person disabled."""
    client = _client()
    try:
        answer = client.admin_initiate_auth(UserPoolId=settings().user_pool_id, ClientId=settings().client_id,
                                            AuthFlow="REFRESH_TOKEN_AUTH",
                                            AuthParameters={"REFRESH_TOKEN": refresh_token})
    except (client.exceptions.NotAuthorizedException, client.exceptions.UserNotFoundException):
        raise Unauthorized("The session has ended; sign in again.") from None
    result = answer.get("AuthenticationResult") or {}
    if "IdToken" not in result:
        raise Unauthorized("The session has ended; sign in again.")
    return {k: result[k] for k in ("IdToken", "AccessToken", "ExpiresIn") if k in result}


@dataclass(frozen=True)
class CodeSent:
    destination: str
    local_code: str | None = None  # moto only: the code a real pool would e-mail


def forgot_password(email: str) -> CodeSent:
    """Ask Cognito to send a reset code. An unknown address looks the same to the caller
    (no account enumeration)."""
    client = _client()
    try:
        answer = client.forgot_password(ClientId=settings().client_id, Username=email)
    except (client.exceptions.UserNotFoundException, client.exceptions.NotAuthorizedException,
            client.exceptions.InvalidParameterException):
        return CodeSent(destination="")
    except client.exceptions.LimitExceededException:
        from ..domain.errors import RateLimited
        raise RateLimited("Too many reset requests; wait a few minutes.", {"email": "too many requests"}) from None
    headers = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    code = headers.get("x-moto-forgot-password-confirmation-code", "").rpartition(":")[2] or None
    return CodeSent(destination=answer.get("CodeDeliveryDetails", {}).get("Destination", ""),
                    local_code=code if settings().is_local else None)


def confirm_forgot_password(email: str, code: str, new_password: str) -> None:
    client = _client()
    try:
        client.confirm_forgot_password(ClientId=settings().client_id, Username=email, ConfirmationCode=code,
                                       Password=new_password)
    except client.exceptions.InvalidPasswordException as exc:
        raise InvalidInput("Choose a stronger password.", {"new_password": str(exc).split(": ", 1)[-1]}) from None
    except (client.exceptions.CodeMismatchException, client.exceptions.ExpiredCodeException,
            client.exceptions.UserNotFoundException, client.exceptions.NotAuthorizedException):
        raise InvalidInput("That code is not right or has expired.", {"code": "not right or expired"}) from None


def sign_out(email: str) -> None:
    """End the person's sessions: every refresh token they hold stops working (their ID
    tokens expire within the hour). Signing out on one device signs out the others too."""
    client = _client()
    try:
        client.admin_user_global_sign_out(UserPoolId=settings().user_pool_id, Username=email)
    except client.exceptions.UserNotFoundException:
        pass
