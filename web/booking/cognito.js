/* The customer's account, through Cognito's public JSON API at the endpoint and app client that
 * /booking/config.json names (in AWS cognito-idp.<region>.amazonaws.com, deploying writes it;
 * locally the stack's /_local/cognito, which hands the same calls to moto). Unsigned calls for the
 * pool's public client:
 *   sign-in            InitiateAuth (USER_PASSWORD_AUTH), then RespondToAuthChallenge when a first
 *                      sign-in must choose its own password (NEW_PASSWORD_REQUIRED)
 *   forgotten password ForgotPassword (the code is emailed, in the page's language: ClientMetadata
 *                      carries it to the pool's CustomMessage trigger), then ConfirmForgotPassword
 * A refused call throws {status, code, problem}: code is Cognito's error name (status 0: no answer).
 * `problem(e, step)` says what a refusal means to the customer, or null where the page's own
 * explanation of a failed request fits.
 */
(function () {
  "use strict";

  var i18n = window.BookingI18n;
  var t = i18n.t;
  var config = null;  // {cognito_endpoint, client_id}

  function load() {
    return fetch("/booking/config.json", { headers: { "Accept": "application/json" }, cache: "no-cache" }).then(function (response) {
      if (!response.ok) { throw new Error("config " + response.status); }
      return response.json();
    }).then(function (data) {
      if (!data || !data.cognito_endpoint || !data.client_id) { throw new Error("config incomplete"); }
      config = data;
    });
  }

  function call(action, body) {
    return fetch(config.cognito_endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService." + action },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.text().then(function (raw) {
        var data = null;
        try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
        if (!response.ok) {
          var code = String((data && (data.__type || data.code)) || "").split("#").pop();
          throw { status: response.status, code: code, problem: { detail: data && (data.message || data.Message) } };
        }
        return data || {};
      });
    }, function () {
      throw { status: 0, code: "", problem: {} };
    });
  }

  /* email + password -> the ID token. A first sign-in (temporary password) needs newPassword: without
   * one it throws {code: "NEW_PASSWORD_REQUIRED"}; with one, the challenge is answered at once. */
  function signIn(email, password, newPassword) {
    return call("InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH", ClientId: config.client_id, AuthParameters: { USERNAME: email, PASSWORD: password }
    }).then(function (result) {
      if (result.ChallengeName === "NEW_PASSWORD_REQUIRED") {
        if (!newPassword) { throw { status: 200, code: "NEW_PASSWORD_REQUIRED", problem: {} }; }
        var params = result.ChallengeParameters || {};
        return call("RespondToAuthChallenge", {
          ChallengeName: "NEW_PASSWORD_REQUIRED", ClientId: config.client_id, Session: result.Session,
          ChallengeResponses: { USERNAME: params.USER_ID_FOR_SRP || params.USERNAME || email, NEW_PASSWORD: newPassword }
        });
      }
      return result;
    }).then(function (result) {
      if (!result.AuthenticationResult) {
        throw { status: 200, code: result.ChallengeName, problem: { detail: t("This sign-in needs a step this page cannot do ({step}). Ask your contact at the company.", { step: result.ChallengeName }) } };
      }
      return result.AuthenticationResult.IdToken;
    });
  }

  function forgotPassword(email) {
    return call("ForgotPassword", { ClientId: config.client_id, Username: email, ClientMetadata: { locale: i18n.locale() } });
  }

  function confirmForgotPassword(email, code, password) {
    return call("ConfirmForgotPassword", { ClientId: config.client_id, Username: email, ConfirmationCode: code, Password: password });
  }

  // What a refusal means, per step (then for any step); as functions, so they read in the language of the moment.
  function wrongPassword() { return t("Wrong email or password."); }
  function wrongCode() { return t("That code is wrong or has expired: ask for a new one."); }
  var PROBLEMS = {
    "sign-in": {
      NotAuthorizedException: wrongPassword,
      UserNotFoundException: wrongPassword,
      PasswordResetRequiredException: function () { return t("Your password must be reset: choose a new one with “Forgot your password?”."); }
    },
    reset: {
      CodeMismatchException: wrongCode,
      ExpiredCodeException: wrongCode,
      NotAuthorizedException: function () { return t("Sign in first with the temporary password of your invitation: it asks you to choose your own."); }
    },
    any: {
      InvalidPasswordException: function () { return t("That new password is not accepted: choose a longer one, with upper- and lower-case letters and a digit."); },
      TooManyRequestsException: function () { return t("Too many attempts: please wait a little before trying again."); },
      LimitExceededException: function () { return t("Too many attempts: please wait a little before trying again."); }
    }
  };

  function problem(e, step) {
    var says = PROBLEMS[step][e.code] || PROBLEMS.any[e.code];
    return says ? says() : null;
  }

  window.BookingCognito = {
    load: load,
    ready: function () { return !!config; },
    signIn: signIn,
    forgotPassword: forgotPassword,
    confirmForgotPassword: confirmForgotPassword,
    problem: problem
  };
})();
