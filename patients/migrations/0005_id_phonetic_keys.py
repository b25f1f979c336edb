"""Phonetic keys of the names (docs/patients.md, « Rapprochement des identités »).

`patients_phonetic_key(name)` is a normaliser written for French and for names transliterated
into French from Arabic, Berber, Tamil, Turkish, Vietnamese, Wolof or Pulaar, on top of
`unaccent`. `patients_phonetic_keys(last, birth, first)` is the stored column: `n:` keys of the
last and birth names (whole, then word by word without particles), `p:` keys of the first
names. PostgreSQL computes the column at every write (registration, correction, merge,
anonymisation, import): no code path can leave it stale, and adding it fills every row.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models

PHONETIC_FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION patients_phonetic_key(name text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT
    AS $$
DECLARE
    -- ç is an s in French and in Turkish written for French readers (Çelik = Selik);
    -- unaccent would make it a c. Then lower case, no accent, letters only.
    s text := regexp_replace(patients_unaccent(translate(name, 'çÇ', 'ss')), '[^a-z]', '', 'g');
BEGIN
    -- 1. Mute endings of French spelling: Oulde = Ould, Abdallah = Abdalla, Leroux = Lerou;
    --    a final d sounds t (Dupond = Dupont, Mohamed = Mohamet).
    s := regexp_replace(s, '(..)(es|e|s|x|h)$', '\1');
    s := regexp_replace(s, 'd$', 't');
    -- 2. One spelling per sound for the consonant groups of French, English, German and
    --    Turkish transliterations: sh/sch/tch = ch (Rashid = Rachid, Krishnan = Krichnan),
    --    ph = f, th/kh/gh/dh = t/k/g/d (Khaled = Kaled), dj = j, qu/q/ck = k,
    --    c before e/i/y = s (Belkacem = Belkasem, Youcef = Yousef), other c = k
    --    (Coulibaly = Koulibaly), gu before e/i/y = hard g, g before e/i/y = j,
    --    x = ks, z = s, bv = v (Lefebvre = Lefèvre), au/eau = o, initial h mute.
    s := regexp_replace(s, 'ts?ch|sch|sh', 'ch', 'g');
    s := replace(s, 'ch', 'X');
    s := replace(s, 'ph', 'f');
    s := regexp_replace(s, '([tkgd])h', '\1', 'g');
    s := replace(s, 'bv', 'v');
    s := replace(s, 'dj', 'j');
    s := regexp_replace(s, 'qu?', 'k', 'g');
    s := replace(s, 'ck', 'k');
    s := regexp_replace(s, 'gu([eiy])', 'G\1', 'g');
    s := regexp_replace(s, 'g([eiy])', 'j\1', 'g');
    s := replace(s, 'G', 'g');
    s := regexp_replace(s, 'c([eiy])', 's\1', 'g');
    s := replace(s, 'c', 'k');
    s := replace(s, 'x', 'ks');
    s := replace(s, 'z', 's');
    s := regexp_replace(s, 'e?au', 'o', 'g');
    s := regexp_replace(s, '^h', '');
    -- 3. Vowels in two classes, open/front (a e i y) and rounded (o u ou w): the vowels
    --    of transliterations vary (Mohamed = Muhammad, Sivakumar = Sivakoumar, Zineb =
    --    Zeinab), their number and rounding much less (Mahmoud ≠ Mohamed).
    s := translate(s, 'aeiyouw', 'AAAAUUU');
    -- 4. Doubled letters once (Diallo = Dialo, Belkassem = Belkasem).
    s := regexp_replace(s, '(.)\1+', '\1', 'g');
    RETURN upper(s);
END
$$;

CREATE OR REPLACE FUNCTION patients_phonetic_keys(last_name text, birth_name text, first_name text)
    RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
DECLARE
    keys text[] := '{}';
    k text;
    w text;
BEGIN
    -- Whole names, spaces and hyphens removed (Ben Ali = Benali, Abd El Kader = Abdelkader),
    -- then each word of a compound name, particles left out (Ben, Ould, El, De…).
    FOREACH w IN ARRAY ARRAY[last_name, birth_name] || CASE
        WHEN concat(last_name, birth_name) ~ '[^[:alpha:]]'
        THEN regexp_split_to_array(concat_ws(' ', last_name, birth_name), '[^[:alpha:]]+')
        ELSE '{}'::text[] END
    LOOP
        CONTINUE WHEN w IS NULL OR length(w) < 2 OR lower(w) = ANY (ARRAY[
            'ben', 'bin', 'ibn', 'bent', 'bint', 'ould', 'el', 'al', 'aït', 'ait', 'ag', 'de',
            'du', 'des', 'da', 'do', 'dos', 'das', 'di', 'la', 'le', 'les', 'van', 'von', 'der']);
        k := 'n:' || patients_phonetic_key(w);
        IF k <> 'n:' AND NOT k = ANY (keys) THEN
            keys := keys || k;
        END IF;
    END LOOP;
    FOREACH w IN ARRAY ARRAY[first_name] || CASE
        WHEN first_name ~ '[^[:alpha:]]' THEN regexp_split_to_array(first_name, '[^[:alpha:]]+')
        ELSE '{}'::text[] END
    LOOP
        CONTINUE WHEN w IS NULL OR length(w) < 2;
        k := 'p:' || patients_phonetic_key(w);
        IF k <> 'p:' AND NOT k = ANY (keys) THEN
            keys := keys || k;
        END IF;
    END LOOP;
    RETURN keys;
END
$$;

-- The keys a search word may match, as a last name or as a first name.
CREATE OR REPLACE FUNCTION patients_phonetic_query(word text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT ARRAY['n:' || patients_phonetic_key(word), 'p:' || patients_phonetic_key(word)] $$;

-- Two records whose names sound the same: a last-name key and a first-name key in common.
CREATE OR REPLACE FUNCTION patients_phonetic_match(a text[], b text[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$
    SELECT EXISTS (SELECT 1 FROM unnest(a) AS k WHERE k LIKE 'n:%' AND k = ANY (b))
       AND EXISTS (SELECT 1 FROM unnest(a) AS k WHERE k LIKE 'p:%' AND k = ANY (b))
$$;
"""

DROP_PHONETIC_FUNCTIONS = """
DROP FUNCTION IF EXISTS patients_phonetic_match(text[], text[]);
DROP FUNCTION IF EXISTS patients_phonetic_query(text);
DROP FUNCTION IF EXISTS patients_phonetic_keys(text, text, text);
DROP FUNCTION IF EXISTS patients_phonetic_key(text);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0004_not_duplicate_pair"),
    ]

    operations = [
        migrations.RunSQL(PHONETIC_FUNCTIONS, DROP_PHONETIC_FUNCTIONS),
        # A stored generated column: adding it computes the keys of every existing record.
        migrations.AddField(
            model_name="patient",
            name="phonetic_keys",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Func(
                    models.F("last_name"),
                    models.F("birth_name"),
                    models.F("first_name"),
                    function="patients_phonetic_keys",
                ),
                output_field=django.contrib.postgres.fields.ArrayField(
                    base_field=models.TextField(), size=None
                ),
            ),
        ),
        migrations.AddIndex(
            model_name="patient",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["phonetic_keys"], name="patient_phonetic_keys"
            ),
        ),
    ]
