/**
 * CSS colours in board configs: which strings are colours (so a typo stops
 * the start instead of painting a tile transparent), and which text colour,
 * black or white, reads better on one.
 */

/** Text colour on light backgrounds. */
export const DARK_INK = '#111111';
/** Text colour on dark backgrounds. */
export const LIGHT_INK = '#FFFFFF';

const HEX = /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
// Functional notations; the arguments may hold only what colours use (no `;`, quotes or brackets).
const FUNCTION = /^(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(\s*[-+0-9a-z.%,/\s]*\)$/i;
// The CSS named colours (CSS Color 4), and `transparent`.
const NAMES = new Set(
  (
    'aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue ' +
    'blueviolet brown burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk ' +
    'crimson cyan darkblue darkcyan darkgoldenrod darkgray darkgreen darkgrey darkkhaki ' +
    'darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon darkseagreen ' +
    'darkslateblue darkslategray darkslategrey darkturquoise darkviolet deeppink deepskyblue ' +
    'dimgray dimgrey dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite ' +
    'gold goldenrod gray green greenyellow grey honeydew hotpink indianred indigo ivory khaki ' +
    'lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan ' +
    'lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen ' +
    'lightskyblue lightslategray lightslategrey lightsteelblue lightyellow lime limegreen linen ' +
    'magenta maroon mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen ' +
    'mediumslateblue mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream ' +
    'mistyrose moccasin navajowhite navy oldlace olive olivedrab orange orangered orchid ' +
    'palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum ' +
    'powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown ' +
    'seagreen seashell sienna silver skyblue slateblue slategray slategrey snow springgreen ' +
    'steelblue tan teal thistle tomato turquoise violet wheat white whitesmoke yellow ' +
    'yellowgreen transparent'
  ).split(' '),
);
// Dark named colours, for the text colour; every other name is light enough for black text.
const DARK_NAMES = new Set(
  'black blue blueviolet brown crimson darkblue darkcyan darkgreen darkmagenta darkolivegreen darkorchid darkred darkslateblue darkslategray darkslategrey darkviolet dimgray dimgrey firebrick forestgreen green indigo maroon mediumblue midnightblue navy purple rebeccapurple saddlebrown sienna teal'.split(
    ' ',
  ),
);

/** True when `text` is a CSS colour: hex, a functional notation or a name. */
export function isCssColor(text: string): boolean {
  return HEX.test(text) || FUNCTION.test(text) || NAMES.has(text.toLowerCase());
}

/** Red, green and blue (0-255) of a hex or `rgb()` colour, if it is one. */
function rgbOf(color: string): [number, number, number] | undefined {
  if (HEX.test(color)) {
    let hex = color.slice(1);
    if (hex.length <= 4) hex = [...hex].map((c) => c + c).join('');
    return [0, 2, 4].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as [
      number,
      number,
      number,
    ];
  }
  const rgb = /^rgba?\(\s*(\d+(?:\.\d+)?)[\s,]+(\d+(?:\.\d+)?)[\s,]+(\d+(?:\.\d+)?)/i.exec(color);
  return rgb === null ? undefined : [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
}

/** WCAG relative luminance of an sRGB colour. */
function luminance([r, g, b]: [number, number, number]): number {
  const channel = (v: number) => {
    const c = Math.min(255, Math.max(0, v)) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/**
 * The text colour, {@link DARK_INK} or {@link LIGHT_INK}, with the higher
 * WCAG contrast on `background`. Colours it cannot read (hsl(), lab()...)
 * get dark ink; a board can set `textColor` for them.
 */
export function inkFor(background: string): string {
  const rgb = rgbOf(background);
  if (rgb === undefined) return DARK_NAMES.has(background.toLowerCase()) ? LIGHT_INK : DARK_INK;
  const l = luminance(rgb);
  // Contrast with black is (l + 0.05) / 0.05; with white, 1.05 / (l + 0.05).
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? DARK_INK : LIGHT_INK;
}
