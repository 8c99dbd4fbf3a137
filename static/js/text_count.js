// Post text counts as each platform counts them, for the live counter on the post form.
//
// This is the browser twin of planner/text_limits.py: same rules, same regular expressions, and a
// parity test (tests/planner/test_text_limits.py) runs both on the same strings. Change one,
// change the other. Plain browser JS, no build step; also loads under Node for that test.
(function () {
  "use strict";

  var LIMITS = {
    x: 280,
    bluesky: 300,
    mastodon: 500,
    linkedin: 3000,
    instagram: 2200,
    facebook: 63206,
    wordpress: null,
    webhook: null,
  };
  var X_URL_LENGTH = 23;
  var MASTODON_URL_LENGTH = 23;

  var COMMON_TLDS = new Set(
    (
      "com org net edu gov mil int info biz io co ai app dev me tv ly gl gg to fm sh xyz online site " +
      "tech store blog news shop page link live cloud social uk us ca au de fr es it nl be ch at se no " +
      "dk fi pl pt ie cz ru ua jp cn kr in br mx ar nz za tw hk sg id my ph vn tr il eu"
    ).split(" ")
  );

  // Explicit Unicode properties instead of \w, \s and \b, whose meaning differs between
  // JavaScript and Python's regex module.
  var WORD_CHAR = "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";
  var LABEL = "[\\p{L}\\p{N}](?:[\\p{L}\\p{N}\\-]*[\\p{L}\\p{N}])?";
  var HOST = LABEL + "(?:\\." + LABEL + ")+";
  var PORT = "(?::[0-9]{1,5})?";
  var PATH = "(?:[/?#](?:[^\\p{White_Space}]*[^\\p{White_Space}.,:;!?'\"()\\[\\]{}<>\u2026*])?)?";
  var SCHEME_URL = "(?<![" + WORD_CHAR + "])[Hh][Tt][Tt][Pp][Ss]?://" + HOST + PORT + PATH;
  var BARE_URL =
    "(?<![" + WORD_CHAR + "@\uFF20$#\uFF03.\\-/])" +
    "(?:[A-Za-z0-9](?:[A-Za-z0-9\\-]*[A-Za-z0-9])?\\.)+(?<tld>[A-Za-z]{2,})" +
    "(?![A-Za-z0-9\\-]|\\.[A-Za-z0-9])" +
    PORT +
    PATH;
  var EMOJI =
    "\\p{Regional_Indicator}\\p{Regional_Indicator}" +
    "|[#*0-9]\\u{FE0F}?\\u{20E3}" +
    "|[\\u{A9}\\u{AE}]\\u{FE0F}" +
    // Bare (c) and (r) are text symbols that X weighs as ordinary Latin-1 characters.
    "|(?![\\u{A9}\\u{AE}])\\p{Extended_Pictographic}(?:\\u{FE0F}|\\p{Emoji_Modifier})?" +
    "(?:[\\u{E0020}-\\u{E007E}]+\\u{E007F})?" +
    "(?:\\u{200D}\\p{Extended_Pictographic}(?:\\u{FE0F}|\\p{Emoji_Modifier})?)*";
  var MENTION_WITH_DOMAIN =
    "(?<![/" + WORD_CHAR + "])@(?<user>[A-Za-z0-9_]+(?:[A-Za-z0-9_.\\-]*[A-Za-z0-9_])?)" +
    "@[" + WORD_CHAR + ".\\-]+[" + WORD_CHAR + "]+";

  var X_ENTITIES = new RegExp(
    "(?<url>" + SCHEME_URL + ")|(?<bare>" + BARE_URL + ")|(?<emoji>" + EMOJI + ")",
    "gu"
  );
  var MASTODON_ENTITIES = new RegExp(
    "(?<url>" + SCHEME_URL + ")|(?<mention>" + MENTION_WITH_DOMAIN + ")",
    "gu"
  );

  var segmenter =
    typeof Intl !== "undefined" && Intl.Segmenter
      ? new Intl.Segmenter("und", { granularity: "grapheme" })
      : null;

  function codePoints(text) {
    var n = 0;
    for (var _ of text) n += 1;
    return n;
  }

  function graphemes(text) {
    // Browsers without Intl.Segmenter (very old ones) get code points: never fewer than
    // graphemes, so the counter errs towards "too long", never towards a refused post.
    if (!segmenter) return codePoints(text);
    var n = 0;
    for (var _ of segmenter.segment(text)) n += 1;
    return n;
  }

  function xWeight(text) {
    var weight = 0;
    for (var ch of text) {
      var cp = ch.codePointAt(0);
      var light =
        cp <= 4351 ||
        (cp >= 8192 && cp <= 8205) ||
        (cp >= 8208 && cp <= 8223) ||
        (cp >= 8242 && cp <= 8247);
      weight += light ? 100 : 200;
    }
    return weight;
  }

  function isCommonTldLink(match) {
    var bare = match.groups.bare;
    return (
      bare === undefined ||
      bare.slice(0, 4).toLowerCase() === "www." ||
      COMMON_TLDS.has(match.groups.tld.toLowerCase())
    );
  }

  function countX(text) {
    text = text.normalize("NFC");
    var weight = 0;
    var position = 0;
    for (var match of text.matchAll(X_ENTITIES)) {
      if (!isCommonTldLink(match)) continue;
      weight += xWeight(text.slice(position, match.index));
      weight += match.groups.emoji === undefined ? X_URL_LENGTH * 100 : 200;
      position = match.index + match[0].length;
    }
    weight += xWeight(text.slice(position));
    return Math.floor(weight / 100);
  }

  function countMastodon(text) {
    var countable = text.replace(MASTODON_ENTITIES, function () {
      var groups = arguments[arguments.length - 1];
      if (groups.url !== undefined) return "x".repeat(MASTODON_URL_LENGTH);
      return "@" + groups.user;
    });
    return graphemes(countable);
  }

  function checkPlatform(platform) {
    if (!Object.prototype.hasOwnProperty.call(LIMITS, platform)) {
      throw new Error("unknown platform " + JSON.stringify(platform));
    }
  }

  /** Length of `text` as `platform` counts it against its limit. */
  function count(platform, text) {
    checkPlatform(platform);
    if (platform === "x") return countX(text);
    if (platform === "bluesky") return graphemes(text);
    if (platform === "mastodon") return countMastodon(text);
    return codePoints(text);
  }

  /** The platform's limit, or null when it has no practical limit. */
  function limit(platform) {
    checkPlatform(platform);
    return LIMITS[platform];
  }

  var PageOneText = { count: count, limit: limit };

  if (typeof module !== "undefined" && module.exports) module.exports = PageOneText;
  if (typeof window !== "undefined") window.PageOneText = PageOneText;
})();
