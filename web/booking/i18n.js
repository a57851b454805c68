/* The booking site's languages: English (the texts in the code) and every language with a
 * catalogue in /booking/locale/<lang>.json (compiled from web/locale/<lang>/LC_MESSAGES/booking.po
 * by `make messages`: translators edit the .po, never this file).
 *
 * The language is the customer's choice (the switcher, remembered in localStorage), else the
 * browser's first language the site speaks, else English. A text missing from a catalogue reads in
 * English. `t("Hello {name}", {name: n})`; elements marked data-i18n are translated in place.
 */
(function () {
  "use strict";

  var LOCALES = { en: "en-GB", fr: "fr-FR" };  // the site's languages and the locale each asks the API in
  var CHOICE = "booking-language";
  var catalogue = {};
  var language = "en";

  function stored() {
    try { return localStorage.getItem(CHOICE); } catch (e) { return null; }
  }

  function preferred() {
    var choice = stored();
    if (choice && LOCALES[choice]) { return choice; }
    var asked = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
    for (var i = 0; i < asked.length; i++) {
      var lang = String(asked[i]).toLowerCase().split("-")[0];
      if (LOCALES[lang]) { return lang; }
    }
    return "en";
  }

  function t(text, params) {
    var out = Object.prototype.hasOwnProperty.call(catalogue, text) && catalogue[text] ? catalogue[text] : text;
    return out.replace(/\{(\w+)\}/g, function (whole, name) {
      return params && Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole;
    });
  }

  function translatePage() {
    document.documentElement.lang = language;
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (el) {
      if (!el.dataset.i18nSource) { el.dataset.i18nSource = el.textContent.replace(/\s+/g, " ").trim(); }
      el.textContent = t(el.dataset.i18nSource);
    });
  }

  /* Switch to `lang` (its catalogue fetched; English needs none); resolves once the page reads in it. */
  function use(lang, remember) {
    lang = LOCALES[lang] ? lang : "en";
    if (remember) {
      try { localStorage.setItem(CHOICE, lang); } catch (e) { /* private mode: this page only */ }
    }
    var loaded = lang === "en" ? Promise.resolve({}) : fetch("/booking/locale/" + lang + ".json", { cache: "no-cache" })
      .then(function (response) { return response.ok ? response.json() : {}; })
      .catch(function () { return {}; });
    return loaded.then(function (texts) {
      catalogue = texts || {};
      language = lang;
      translatePage();
      return lang;
    });
  }

  window.BookingI18n = {
    t: t,
    use: use,
    preferred: preferred,
    translatePage: translatePage,
    language: function () { return language; },
    locale: function () { return LOCALES[language]; }
  };
})();
