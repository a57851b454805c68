/* The customer booking site: sign in, see the jobs of your contact and its sites, request a job.
 *
 * No framework, no CDN. The page lives at /booking/<slug> and calls the API on its own origin
 * (/booking/sites/<slug>/...); its customer signs in, and resets a forgotten password, through
 * Cognito's public JSON API (cognito.js).
 *
 * Every text goes through t() (i18n.js): the page reads in the customer's language, and asks the
 * API for its answers (problem details) in it with Accept-Language.
 */
(function () {
  "use strict";

  var i18n = window.BookingI18n;
  var t = i18n.t;
  var cognito = window.BookingCognito;

  /* Marks an English text for the catalogue (`make messages` extracts N_ like t) where it is only
   * named: it is translated, with t(), where it is shown, in the language of that moment. */
  function N_(english) { return english; }

  var LABELS = {
    reference: N_("Reference"), type: N_("Type"), site: N_("Site"), status: N_("Status"),
    planned_start: N_("Planned start"), planned_end: N_("Planned end"), preferred_date: N_("Preferred date"),
    description: N_("Description"), created_at: N_("Requested"), completed_at: N_("Completed")
  };
  var STATUSES = {
    to_schedule: N_("To schedule"), scheduled: N_("Scheduled"), in_progress: N_("In progress"), paused: N_("Paused"),
    completed: N_("Completed"), completed_with_issues: N_("Completed with issues"), cancelled: N_("Cancelled")
  };
  var DATE_TIMES = { planned_start: 1, planned_end: 1, created_at: 1, completed_at: 1 };

  var slug = (location.pathname.split("/")[2] || "").toLowerCase();
  var api = "/booking/sites/" + encodeURIComponent(slug);
  var tokenKey = "booking-token:" + slug;
  var nextCursor = null;
  var columns = [];
  var shown = [];  // the jobs on screen, drawn again when the language changes
  var site = null;  // the landing data: {company_name, logo_url}
  var jobTypes = null;  // the job types offered, for the placeholder drawn again in another language

  function $(id) { return document.getElementById(id); }
  function show(el, on) { el.hidden = !on; }
  function text(el, value) { el.textContent = value == null ? "" : String(value); }

  function token() { return sessionStorage.getItem(tokenKey); }
  function setToken(value) {
    if (value) { sessionStorage.setItem(tokenKey, value); } else { sessionStorage.removeItem(tokenKey); }
  }

  function notice(message, kind) {
    var el = $("notice");
    text(el, message);
    el.className = "notice" + (kind ? " " + kind : "");
    show(el, !!message);
  }

  /* fetch + JSON; throws {status, problem} for anything but 2xx (problem: the RFC 9457 body). */
  function call(method, url, body, extraHeaders) {
    var headers = { "Accept": "application/json", "Accept-Language": i18n.locale() };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    if (token()) { headers["Authorization"] = "Bearer " + token(); }
    Object.keys(extraHeaders || {}).forEach(function (k) { headers[k] = extraHeaders[k]; });
    return fetch(url, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (response) {
        return response.text().then(function (raw) {
          var data = null;
          try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
          if (!response.ok) {
            throw { status: response.status, problem: data || {}, retryAfter: response.headers.get("Retry-After") };
          }
          return data;
        });
      }, function () {
        throw { status: 0, problem: {} };
      });
  }

  function unreachable() { return t("The server cannot be reached. Check your connection and try again."); }

  function explain(error) {
    var p = error.problem || {};
    if (error.status === 429) {
      return p.detail || t("Too many requests: please wait a little before trying again.");
    }
    if (error.status === 0) { return unreachable(); }
    if (error.status >= 500) { return t("Something went wrong on our side. Please try again in a moment."); }
    return p.detail || p.title || p.message || t("Request failed ({status})", { status: error.status });
  }

  function signedOut(message) {
    setToken(null);
    show($("jobs"), false);
    show($("book"), false);
    show($("sign-out"), false);
    show($("reset"), false);
    show($("sign-in"), true);
    notice(message || "", message ? "warn" : "");
  }

  /* ------------------------------------------------------------------ the landing data */

  function drawTitle() {
    document.title = site ? t("{company} - booking", { company: site.company_name }) : t("Booking");
    if (!site) { text($("company"), t("Booking")); }
  }

  function loadSite() {
    return call("GET", api).then(function (found) {
      site = found;
      drawTitle();
      text($("company"), site.company_name);
      text($("initial"), site.company_name.charAt(0).toUpperCase());
      if (site.logo_url) {
        var logo = $("logo");
        logo.onload = function () { show(logo, true); show($("initial"), false); };
        logo.onerror = function () { show(logo, false); show($("initial"), true); };
        logo.alt = site.company_name;
        logo.src = site.logo_url;
      }
      return site;
    });
  }

  /* ------------------------------------------------------------------ sign-in */

  /* What a refused Cognito call (cognito.js) tells the customer at `step`. */
  function accountProblem(e, step) {
    return cognito.problem(e, step) || (e.status === 0 || e.status >= 500 || !e.problem.detail ? explain(e) : e.problem.detail);
  }

  function onSignIn(event) {
    event.preventDefault();
    var error = $("sign-in-error");
    error.className = "error";
    show(error, false);
    var email = $("email").value.trim().toLowerCase();
    var password = $("password").value;
    var needsNew = !$("new-password-block").hidden;
    var newPassword = needsNew ? $("new-password").value : null;
    if (!email || !password) {
      text(error, t("Enter your email address and password."));
      show(error, true);
      return;
    }
    if (needsNew && newPassword.length < 12) {
      text(error, t("Your new password needs at least 12 characters."));
      show(error, true);
      return;
    }
    if (!cognito.ready()) {
      text(error, t("Signing in is not available right now. Please try again later."));
      show(error, true);
      return;
    }
    $("sign-in-button").disabled = true;
    cognito.signIn(email, password, newPassword).then(function (idToken) {
      setToken(idToken);
      $("password").value = "";
      $("new-password").value = "";
      show($("new-password-block"), false);
      label($("sign-in-button"), "Sign in");
      return signedIn();
    }, function (e) {
      if (e.code === "NEW_PASSWORD_REQUIRED") {
        show($("new-password-block"), true);
        label($("sign-in-button"), "Set password and sign in");
        $("new-password").focus();
        text(error, t("Welcome! Please choose your own password to finish signing in."));
        error.className = "error info";
      } else {
        text(error, accountProblem(e, "sign-in"));
      }
      show(error, true);
    }).then(function () { $("sign-in-button").disabled = false; });
  }

  /* A button whose English text is `english`, read in the language of the moment (and again after a switch). */
  function label(el, english) {
    el.dataset.i18nSource = english;
    text(el, t(english));
  }

  /* ------------------------------------------------------------------ forgotten password */

  function resetError(message) {
    text($("reset-error"), message);
    show($("reset-error"), !!message);
  }

  function openReset() {
    notice("");
    $("reset-email").value = $("email").value.trim();
    show($("reset-request-form"), true);
    show($("reset-confirm-form"), false);
    resetError("");
    show($("sign-in"), false);
    show($("reset"), true);
    $("reset-email").focus();
  }

  function closeReset(message) {
    show($("reset"), false);
    show($("sign-in"), true);
    if (message) { notice(message, "ok"); }
  }

  function codeAsked() {
    show($("reset-request-form"), false);
    show($("reset-confirm-form"), true);
    $("reset-code").focus();
  }

  function onResetRequest(event) {
    event.preventDefault();
    resetError("");
    var email = $("reset-email").value.trim().toLowerCase();
    if (!email) { resetError(t("Enter your email address.")); return; }
    if (!cognito.ready()) { resetError(t("Signing in is not available right now. Please try again later.")); return; }
    $("reset-request-button").disabled = true;
    cognito.forgotPassword(email).then(codeAsked, function (e) {
      // An unknown address reads like a known one: nobody learns who has an access.
      if (e.code === "UserNotFoundException") { codeAsked(); } else { resetError(accountProblem(e, "reset")); }
    }).then(function () { $("reset-request-button").disabled = false; });
  }

  function onResetConfirm(event) {
    event.preventDefault();
    resetError("");
    var email = $("reset-email").value.trim().toLowerCase();
    var code = $("reset-code").value.trim();
    var password = $("reset-password").value;
    if (!code || !password) { resetError(t("Enter the code you received and your new password.")); return; }
    if (password.length < 12) { resetError(t("Your new password needs at least 12 characters.")); return; }
    $("reset-confirm-button").disabled = true;
    cognito.confirmForgotPassword(email, code, password).then(function () {
      $("reset-code").value = "";
      $("reset-password").value = "";
      $("email").value = email;
      $("password").value = "";
      closeReset(t("Your new password is set: sign in with it."));
      $("password").focus();
    }, function (e) {
      resetError(accountProblem(e, "reset"));
    }).then(function () { $("reset-confirm-button").disabled = false; });
  }

  /* ------------------------------------------------------------------ jobs */

  function cell(column, value) {
    if (value == null || value === "") { return "-"; }
    if (column === "status") { return STATUSES[value] ? t(STATUSES[value]) : value; }
    if (DATE_TIMES[column]) {
      var d = new Date(value);
      return isNaN(d) ? value : d.toLocaleString(i18n.locale(), { dateStyle: "medium", timeStyle: "short" });
    }
    if (column === "preferred_date") {
      var day = new Date(value + "T00:00:00");
      return isNaN(day) ? value : day.toLocaleDateString(i18n.locale(), { dateStyle: "medium" });
    }
    return value;
  }

  function columnLabel(column) { return LABELS[column] ? t(LABELS[column]) : column; }

  function renderHead() {
    var head = $("jobs-head");
    head.textContent = "";
    columns.forEach(function (c) {
      var th = document.createElement("th");
      th.scope = "col";
      text(th, columnLabel(c));
      head.appendChild(th);
    });
  }

  function addRows(items) {
    var body = $("jobs-body");
    items.forEach(function (job) {
      var tr = document.createElement("tr");
      tr.dataset.jobId = job.id;
      columns.forEach(function (c) {
        var td = document.createElement("td");
        td.dataset.label = columnLabel(c);
        td.dataset.column = c;
        if (c === "status" && job.status) { td.className = "status status-" + job.status; }
        text(td, cell(c, job[c]));
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function loadJobs(more) {
    var url = api + "/jobs?limit=20" + (more && nextCursor ? "&cursor=" + encodeURIComponent(nextCursor) : "");
    return call("GET", url).then(function (page) {
      columns = page.columns;
      if (!more) { $("jobs-body").textContent = ""; shown = []; renderHead(); }
      shown = shown.concat(page.items);
      addRows(page.items);
      nextCursor = page.next_cursor;
      var any = $("jobs-body").children.length > 0;
      show($("jobs-table"), any);
      show($("jobs-empty"), !any);
      show($("more"), !!nextCursor);
    });
  }

  /* ------------------------------------------------------------------ booking */

  function fill(select, items, placeholder) {
    select.textContent = "";
    if (placeholder) {
      var first = document.createElement("option");
      first.value = "";
      text(first, placeholder);
      select.appendChild(first);
    }
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.id;
      text(option, item.name);
      select.appendChild(option);
    });
  }

  function loadOptions() {
    return call("GET", api + "/options").then(function (options) {
      jobTypes = options.job_types;
      fill($("job-type"), jobTypes, jobTypes.length > 1 ? t("Choose a type of job") : null);
      fill($("site"), options.sites, null);
      var today = new Date();
      var iso = new Date(today.getTime() - today.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
      $("preferred-date").min = iso;
      if (!$("preferred-date").value) { $("preferred-date").value = iso; }
    });
  }

  function clearFieldErrors() {
    Array.prototype.forEach.call(document.querySelectorAll(".field-error"), function (el) { show(el, false); });
    show($("book-error"), false);
  }

  function requestKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  // The Idempotency-Key of the last request sent, with its body: kept while the request may have
  // been filed (no answer, 5xx) or is still running (409), so sending the same form again replays
  // it instead of filing a second job; dropped on success or a refusal (other 4xx).
  var pending = null;  // {key, body}

  function onBook(event) {
    event.preventDefault();
    clearFieldErrors();
    var body = {
      job_type_id: $("job-type").value,
      site_id: $("site").value,
      preferred_date: $("preferred-date").value,
      description: $("description").value.trim()
    };
    var missing = Object.keys(body).filter(function (k) { return !body[k]; });
    if (missing.length) {
      missing.forEach(function (k) {
        var el = document.querySelector('.field-error[data-field="' + k + '"]');
        text(el, t("Required"));
        show(el, true);
      });
      return;
    }
    var payload = JSON.stringify(body);
    if (!pending || pending.body !== payload) { pending = { key: requestKey(), body: payload }; }
    $("book-button").disabled = true;
    call("POST", api + "/requests", body, { "Idempotency-Key": pending.key }).then(function (booked) {
      pending = null;
      $("description").value = "";
      notice(t("Thank you: request {reference} is in. We will schedule it and let you know.", { reference: booked.reference || "" }), "ok");
      return loadJobs(false);
    }, function (e) {
      if (e.status >= 400 && e.status < 500 && e.status !== 409) { pending = null; }
      if (e.status === 401) { signedOut(t("Your session has ended: please sign in again.")); return; }
      var errors = (e.problem && e.problem.errors) || [];
      var placed = 0;
      errors.forEach(function (err) {
        var el = document.querySelector('.field-error[data-field="' + err.field + '"]');
        if (el) { text(el, err.message.charAt(0).toUpperCase() + err.message.slice(1)); show(el, true); placed++; }
      });
      if (!placed || placed < errors.length || !errors.length) {
        text($("book-error"), explain(e));
        show($("book-error"), true);
      }
    }).then(function () { $("book-button").disabled = false; });
  }

  /* ------------------------------------------------------------------ start */

  function signedIn() {
    show($("sign-in"), false);
    show($("sign-out"), true);
    notice("");
    return Promise.all([loadJobs(false), loadOptions()]).then(function () {
      show($("jobs"), true);
      show($("book"), true);
    }, function (e) {
      if (e.status === 401 || e.status === 403 || e.status === 404) {
        signedOut(e.status === 401 ? t("Your session has ended: please sign in again.") : explain(e));
      } else {
        notice(explain(e), "warn");
      }
    });
  }

  /* Everything drawn by the code, drawn again in the language just chosen (the data-i18n texts
   * are i18n.js's). Messages on screen were written in the other language: they go. */
  function redraw() {
    drawTitle();
    if (columns.length) {
      renderHead();
      $("jobs-body").textContent = "";
      addRows(shown);
    }
    if (jobTypes && jobTypes.length > 1 && $("job-type").options.length) { text($("job-type").options[0], t("Choose a type of job")); }
    notice("");
    Array.prototype.forEach.call(document.querySelectorAll(".error"), function (el) { show(el, false); });
  }

  function start() {
    var language = $("language");
    language.value = i18n.language();
    language.addEventListener("change", function () { i18n.use(language.value, true).then(redraw); });
    $("sign-in-form").addEventListener("submit", onSignIn);
    $("book-form").addEventListener("submit", onBook);
    $("forgot").addEventListener("click", openReset);
    $("reset-back").addEventListener("click", function () { closeReset(""); });
    $("reset-request-form").addEventListener("submit", onResetRequest);
    $("reset-confirm-form").addEventListener("submit", onResetConfirm);
    $("sign-out").addEventListener("click", function () { signedOut(t("You are signed out.")); });
    $("refresh").addEventListener("click", function () { loadJobs(false).catch(function (e) { notice(explain(e), "warn"); }); });
    $("more").addEventListener("click", function () { loadJobs(true).catch(function (e) { notice(explain(e), "warn"); }); });
    if (!slug) {
      notice(t("This address has no booking site. Check the link you were sent."), "warn");
      return;
    }
    var configured = cognito.load().catch(function () { /* cognito.ready() stays false: signing in says so */ });
    Promise.all([loadSite(), configured]).then(function () {
      if (token()) { return signedIn(); }
      show($("sign-in"), true);
    }, function (e) {
      notice(e.status === 404 ? t("This booking site does not exist. Check the link you were sent.") : explain(e), "warn");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    i18n.use(i18n.preferred(), false).then(start);
  });
})();
