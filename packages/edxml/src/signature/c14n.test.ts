// Canonicalization against the W3C specs' own examples, the namespace rules, and arbitrary chunking of the input.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { C14N_10, C14N_10_WITH_COMMENTS, EXC_C14N, EXC_C14N_WITH_COMMENTS } from './algorithms.ts';
import type { CanonicalizationMethod } from './algorithms.ts';
import { Canonicalizer, canonicalizeEvents, compareCodePoints } from './c14n.ts';
import { TreeBuilder, replay } from './captured-tree.ts';
import type { CapturedElement } from './captured-tree.ts';
import { EMPTY_CONTEXT, enterElement } from './namespace-scope.ts';
import { XmlEventReader, readXmlString } from './xml-event-reader.ts';

function c14n(xml: string | Uint8Array, method: CanonicalizationMethod = C14N_10, cuts: readonly number[] = []): string {
  const parts: string[] = [];
  const reader = new XmlEventReader(new Canonicalizer((s) => parts.push(s), { method }));
  const bytes = typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml;
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    reader.write(bytes.subarray(from, cut));
    from = cut;
  }
  reader.write(bytes.subarray(from));
  reader.end();
  return parts.join('');
}

/** Canonical form of the element at `path` (local names from the root) as a document subset, as for SignedInfo. */
function c14nSubset(xml: string, path: readonly string[], method: CanonicalizationMethod, inclusivePrefixes?: string[]): string {
  const builder = new TreeBuilder(1_000_000);
  readXmlString(xml, builder);
  let element = builder.root;
  let context = EMPTY_CONTEXT;
  assert.equal(element?.start.local, path[0]);
  for (const name of path.slice(1)) {
    if (element === undefined) break;
    context = enterElement(context, element.start);
    element = element.children.find((c): c is CapturedElement => c.kind === 'element' && c.start.local === name);
  }
  assert.ok(element !== undefined, `no element at ${path.join('/')}`);
  const apex = element;
  return canonicalizeEvents((h) => replay(apex, h), { method, inclusivePrefixes, subsetContext: context });
}

describe('Canonical XML 1.0, the examples of the W3C recommendation (§3, without their DTDs)', () => {
  const example31 = `<?xml version="1.0"?>

<?xml-stylesheet   href="doc.xsl"
   type="text/xsl"   ?>

<doc>Hello, world!<!-- Comment 1 --></doc>

<?pi-without-data     ?>

<!-- Comment 2 -->

<!-- Comment 3 -->`;

  it('3.1 PIs, comments, and outside of the document element, without comments', () => {
    assert.equal(
      c14n(example31, C14N_10),
      '<?xml-stylesheet href="doc.xsl"\n   type="text/xsl"   ?>\n<doc>Hello, world!</doc>\n<?pi-without-data?>',
    );
  });

  it('3.1 with comments', () => {
    assert.equal(
      c14n(example31, C14N_10_WITH_COMMENTS),
      '<?xml-stylesheet href="doc.xsl"\n   type="text/xsl"   ?>\n<doc>Hello, world!<!-- Comment 1 --></doc>\n' +
        '<?pi-without-data?>\n<!-- Comment 2 -->\n<!-- Comment 3 -->',
    );
  });

  it('3.2 whitespace in document content is kept as it is', () => {
    const doc = `<doc>
   <clean>   </clean>
   <dirty>   A   B   </dirty>
   <mixed>
      A
      <clean>   </clean>
      B
      <dirty>   A   B   </dirty>
      C
   </mixed>
</doc>`;
    assert.equal(c14n(`<?xml version="1.0"?>\n${doc}\n`), doc);
  });

  it('3.3 start and end tags: empty elements, attribute order, superfluous namespace declarations', () => {
    const input = `<doc>
   <e1   />
   <e2   ></e2>
   <e3   name = "elem3"   id="elem3"   />
   <e4   name="elem4"   id="elem4"   ></e4>
   <e5 a:attr="out" b:attr="sorted" attr2="all" attr="I'm"
      xmlns:b="http://www.ietf.org"
      xmlns:a="http://www.w3.org"
      xmlns="http://example.org"/>
   <e6 xmlns="" xmlns:a="http://www.w3.org">
      <e7 xmlns="http://www.ietf.org">
         <e8 xmlns="" xmlns:a="http://www.w3.org">
            <e9 xmlns="" xmlns:a="http://www.ietf.org"/>
         </e8>
      </e7>
   </e6>
</doc>`;
    const expected = `<doc>
   <e1></e1>
   <e2></e2>
   <e3 id="elem3" name="elem3"></e3>
   <e4 id="elem4" name="elem4"></e4>
   <e5 xmlns="http://example.org" xmlns:a="http://www.w3.org" xmlns:b="http://www.ietf.org" attr="I'm" attr2="all" b:attr="sorted" a:attr="out"></e5>
   <e6 xmlns:a="http://www.w3.org">
      <e7 xmlns="http://www.ietf.org">
         <e8 xmlns="">
            <e9 xmlns:a="http://www.ietf.org"></e9>
         </e8>
      </e7>
   </e6>
</doc>`;
    assert.equal(c14n(input), expected);
  });

  it('3.4 character modifications and character references', () => {
    const input = `<doc>
   <text>First line&#x0d;&#10;Second line</text>
   <value>&#x32;</value>
   <compute><![CDATA[value>"0" && value<"10" ?"valid":"error"]]></compute>
   <compute expr='value>"0" &amp;&amp; value&lt;"10" ?"valid":"error"'>valid</compute>
   <norm attr=' &apos;   &#x20;&#13;&#xa;&#9;   &apos; '/>
   <normNames attr='   A   &#x20;&#13;&#xa;&#9;   B   '/>
</doc>`;
    const expected = `<doc>
   <text>First line&#xD;
Second line</text>
   <value>2</value>
   <compute>value&gt;"0" &amp;&amp; value&lt;"10" ?"valid":"error"</compute>
   <compute expr="value>&quot;0&quot; &amp;&amp; value&lt;&quot;10&quot; ?&quot;valid&quot;:&quot;error&quot;">valid</compute>
   <norm attr=" '    &#xD;&#xA;&#x9;   ' "></norm>
   <normNames attr="   A    &#xD;&#xA;&#x9;   B   "></normNames>
</doc>`;
    assert.equal(c14n(input), expected);
  });

  it('3.6 UTF-8: character references come out as UTF-8 characters', () => {
    assert.equal(c14n('<?xml version="1.0" encoding="UTF-8"?><doc>&#169;&#x1F600;</doc>'), '<doc>©😀</doc>');
  });
});

describe('normalisations done before sax, on the raw input', () => {
  it('turns CR LF and lone CR into LF in text, while &#13; stays a CR', () => {
    const input = Buffer.from('<r>a\r\nb\rc\r\n\r\nd&#13;e</r>');
    const before = Buffer.from(input);
    assert.equal(c14n(input), '<r>a\nb\nc\n\nd&#xD;e</r>');
    assert.deepEqual(input, before, "the caller's bytes are left as they were");
  });

  it('turns literal TAB, LF, CR and CR LF in attribute values into one space each', () => {
    assert.equal(c14n('<r a="1\t2\n3\r4\r\n5" b=\'&#9;&#10;&#13;\'/>'), '<r a="1 2 3 4 5" b="&#x9;&#xA;&#xD;"></r>');
  });

  it('leaves CR LF inside comments and PIs normalised too', () => {
    assert.equal(c14n('<r><?p a\r\nb?><!--x\r\ny--></r>', C14N_10_WITH_COMMENTS), '<r><?p a\nb?><!--x\ny--></r>');
  });
});

describe('namespaces', () => {
  // The example of the Exclusive XML Canonicalization recommendation, §2.2.
  const excExample = `<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n0:local>`;

  it('inclusive c14n renders every in-scope namespace on the apex of a subset', () => {
    assert.equal(
      c14nSubset(excExample, ['local', 'elem2'], C14N_10),
      '<n1:elem2 xmlns:n0="foo:bar" xmlns:n1="http://example.net" xmlns:n3="ftp://example.org" xml:lang="en"><n3:stuff></n3:stuff></n1:elem2>',
    );
  });

  it('exclusive c14n renders only the visibly utilized ones, where they are used', () => {
    assert.equal(
      c14nSubset(excExample, ['local', 'elem2'], EXC_C14N),
      '<n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"></n3:stuff></n1:elem2>',
    );
  });

  it('exclusive c14n with an InclusiveNamespaces PrefixList treats those prefixes the inclusive way', () => {
    assert.equal(
      c14nSubset(excExample, ['local', 'elem2'], EXC_C14N, ['n3', 'absent']),
      '<n1:elem2 xmlns:n1="http://example.net" xmlns:n3="ftp://example.org" xml:lang="en"><n3:stuff></n3:stuff></n1:elem2>',
    );
    const withDefault = '<a xmlns="urn:d" xmlns:p="urn:p"><p:b><p:c/></p:b></a>';
    assert.equal(c14nSubset(withDefault, ['a', 'b'], EXC_C14N), '<p:b xmlns:p="urn:p"><p:c></p:c></p:b>');
    assert.equal(
      c14nSubset(withDefault, ['a', 'b'], EXC_C14N, ['#default']),
      '<p:b xmlns="urn:d" xmlns:p="urn:p"><p:c></p:c></p:b>',
    );
  });

  it('SignedInfo inside an edXML header carries the packet namespaces under inclusive c14n only', () => {
    const packet = `<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXML:edXMLHeader><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><Reference URI=""/></SignedInfo></Signature></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>`;
    const path = ['edXML', 'edXMLEnvelope', 'edXMLHeader', 'Signature', 'SignedInfo'];
    assert.equal(
      c14nSubset(packet, path, C14N_10),
      '<SignedInfo xmlns="http://www.w3.org/2000/09/xmldsig#" xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"><Reference URI=""></Reference></SignedInfo>',
    );
    assert.equal(
      c14nSubset(packet, path, EXC_C14N),
      '<SignedInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><Reference URI=""></Reference></SignedInfo>',
    );
  });

  it('inclusive c14n copies xml:* attributes of omitted ancestors onto the apex; exclusive does not', () => {
    const doc = '<a xml:lang="vi" xml:space="preserve"><b xml:lang="en"><c/></b></a>';
    assert.equal(c14nSubset(doc, ['a', 'b', 'c'], C14N_10), '<c xml:lang="en" xml:space="preserve"></c>');
    assert.equal(c14nSubset(doc, ['a', 'b', 'c'], EXC_C14N), '<c></c>');
  });

  it('emits xmlns="" only when an output ancestor had a non-empty default namespace', () => {
    const doc = '<a xmlns="urn:a"><b xmlns=""><c xmlns=""/></b><p:d xmlns:p="urn:p" xmlns=""/></a>';
    assert.equal(c14n(doc, C14N_10), '<a xmlns="urn:a"><b xmlns=""><c></c></b><p:d xmlns="" xmlns:p="urn:p"></p:d></a>');
    // Exclusive: p:d does not use the default namespace, so it says nothing about it.
    assert.equal(c14n(doc, EXC_C14N), '<a xmlns="urn:a"><b xmlns=""><c></c></b><p:d xmlns:p="urn:p"></p:d></a>');
  });

  it('drops redeclarations of a binding already in force, and keeps changed ones', () => {
    const doc = '<e:a xmlns:e="urn:e"><e:b xmlns:e="urn:e"><e:c xmlns:e="urn:other"/></e:b></e:a>';
    const expected = '<e:a xmlns:e="urn:e"><e:b><e:c xmlns:e="urn:other"></e:c></e:b></e:a>';
    assert.equal(c14n(doc, C14N_10), expected);
    assert.equal(c14n(doc, EXC_C14N), expected);
  });

  it('exclusive c14n re-renders a prefix on a sibling branch where it is used again', () => {
    const doc = '<r xmlns:e="urn:e"><a><e:x/></a><b><e:y/></b></r>';
    assert.equal(c14n(doc, EXC_C14N), '<r><a><e:x xmlns:e="urn:e"></e:x></a><b><e:y xmlns:e="urn:e"></e:y></b></r>');
    assert.equal(c14n(doc, C14N_10), '<r xmlns:e="urn:e"><a><e:x></e:x></a><b><e:y></e:y></b></r>');
  });

  it('sorts attributes by namespace URI then local name, in code-point order', () => {
    assert.ok(compareCodePoints('\uE000', '\u{10000}') < 0, 'U+E000 sorts before U+10000 (UTF-16 order says otherwise)');
    assert.ok('\uE000' > '\u{10000}');
    assert.equal(
      c14n('<r xmlns:z="urn:a" xmlns:a="urn:z" a:x="1" z:y="2" b="3" a="4"/>'),
      '<r xmlns:a="urn:z" xmlns:z="urn:a" a="4" b="3" z:y="2" a:x="1"></r>',
    );
    // sax takes no astral characters in names, but namespace URIs may hold them.
    assert.equal(
      c14n('<r xmlns:p="urn:\u{10000}" xmlns:q="urn:\uE000" p:x="1" q:x="2"/>'),
      '<r xmlns:p="urn:\u{10000}" xmlns:q="urn:\uE000" q:x="2" p:x="1"></r>',
    );
  });
});

describe('streaming', () => {
  const tricky = Buffer.from(
    '<?xml version="1.0" encoding="utf-8"?>\r\n<?pi x\r\ny?>\r\n<d:r xmlns:d="urn:d" xmlns="urn:x" a="tab\there\r\nCRLF" b=\'&lt;&amp;&quot;\'>' +
      'Tiếng Việt 😀 &amp; &#13;\r\n<![CDATA[<raw> & ]]>]]&gt;<e xmlns="" d:k="v"/><!--c\r\n--></d:r>\r\n',
    'utf8',
  );
  const expected =
    '<?pi x\ny?>\n<d:r xmlns="urn:x" xmlns:d="urn:d" a="tab here CRLF" b="&lt;&amp;&quot;">Tiếng Việt 😀 &amp; &#xD;\n' +
    '&lt;raw&gt; &amp; ]]&gt;<e xmlns="" d:k="v"></e></d:r>';

  it('gives the expected canonical form for a document full of edge cases', () => {
    assert.equal(c14n(tricky), expected);
  });

  it('gives the same canonical form however the bytes are cut (mid CR LF, mid UTF-8, mid markup)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: tricky.length - 1 }), { maxLength: 12 }), (cuts) => {
        assert.equal(c14n(tricky, C14N_10, cuts), expected);
      }),
      { numRuns: 300 },
    );
    const everyByte = Array.from({ length: tricky.length - 1 }, (_, i) => i + 1);
    assert.equal(c14n(tricky, C14N_10, everyByte), expected);
  });

  it('hands long text to the canonicalizer in bounded pieces (sax flushes at 64 KiB per write)', async () => {
    const { TEXT_EVENT_CHARS_MAX } = await import('./xml-event-reader.ts');
    let longest = 0;
    let total = 0;
    const reader = new XmlEventReader({
      startElement: () => undefined,
      endElement: () => undefined,
      text: (t) => {
        longest = Math.max(longest, t.length);
        total += t.length;
      },
      comment: () => undefined,
      processingInstruction: () => undefined,
    });
    const line = Buffer.from('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0123456789+/'.repeat(20) + '\n');
    reader.write(Buffer.from('<r>'));
    // Write in chunks far larger than sax's buffer, which is where an unbounded text event would show.
    const big = Buffer.concat(Array.from({ length: 2000 }, () => line));
    for (const chunk of [big, big]) reader.write(chunk);
    reader.write(Buffer.from('</r>'));
    reader.end();
    assert.equal(total, big.length * 2);
    assert.ok(longest <= TEXT_EVENT_CHARS_MAX, `a text event of ${longest} chars exceeds ${TEXT_EVENT_CHARS_MAX}`);
    assert.ok(longest >= 64 * 1024, 'texts are not cut needlessly small');
  });

  it('comment handling: with-comments methods keep them, others drop them', () => {
    const doc = '<!--a--><r><!--b--></r><!--c-->';
    assert.equal(c14n(doc, EXC_C14N), '<r></r>');
    assert.equal(c14n(doc, EXC_C14N_WITH_COMMENTS), '<!--a-->\n<r><!--b--></r>\n<!--c-->');
  });
});

describe('input the reader refuses', () => {
  const refused: [string, string, string][] = [
    ['a DOCTYPE', '<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>', 'VDXP_E_XML_DTD'],
    ['mismatched tags', '<r><a></b></r>', 'VDXP_E_XML_MALFORMED'],
    ['an undeclared prefix', '<p:r/>', 'VDXP_E_XML_MALFORMED'],
    ['an unknown entity', '<r>&nbsp;</r>', 'VDXP_E_XML_MALFORMED'],
    ['duplicate attributes', '<r a="1" a="2"/>', 'VDXP_E_XML_MALFORMED'],
    ['duplicate expanded attribute names', '<r xmlns:p="urn:x" xmlns:q="urn:x" p:a="1" q:a="2"/>', 'VDXP_E_XML_MALFORMED'],
    ['a non-UTF-8 encoding', '<?xml version="1.0" encoding="ISO-8859-1"?><r/>', 'VDXP_E_XML_MALFORMED'],
    ['a second root', '<r/><s/>', 'VDXP_E_XML_MALFORMED'],
    ['no root at all', '  ', 'VDXP_E_XML_MALFORMED'],
    ['a cut-off document', '<r><a>text', 'VDXP_E_XML_TRUNCATED'],
  ];
  for (const [what, xml, code] of refused) {
    it(`throws ${code} for ${what}`, () => {
      assert.throws(() => c14n(xml), (e: unknown) => (e as { code?: string }).code === code);
    });
  }

  it('throws VDXP_E_XML_MALFORMED for bytes that are not UTF-8', () => {
    assert.throws(() => c14n(Uint8Array.of(0x3c, 0x72, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x72, 0x3e)), { code: 'VDXP_E_XML_MALFORMED' });
  });

  it('throws VDXP_E_XML_DEPTH past limits.depthMax', () => {
    const deep = '<a>'.repeat(40) + '</a>'.repeat(40);
    assert.throws(() => readXmlString(deep, new Canonicalizer(() => undefined, { method: C14N_10 })), { code: 'VDXP_E_XML_DEPTH' });
    assert.doesNotThrow(() =>
      readXmlString(deep, new Canonicalizer(() => undefined, { method: C14N_10 }), { limits: { depthMax: 40 } }),
    );
  });
});
