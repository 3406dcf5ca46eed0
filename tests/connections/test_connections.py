import pytest

from connections.llm import user
from connections.models import Connection

pytestmark = pytest.mark.django_db

SECRET = "sk-very-secret-key-1234"


def add(client, **fields):
    data = {"team": "site", "kind": "openai_compatible", "name": "Local",
            "base_url": "http://127.0.0.1:8080/v1", "api_key": SECRET, **fields}  # fmt: skip
    return client.post("/connections/", data)


def test_an_admin_adds_a_connection_whose_key_is_encrypted_at_rest(admin_client):
    response = add(admin_client)
    assert response.status_code == 302
    connection = Connection.objects.get(name="Local")
    assert connection.api_key_last4 == "1234"
    assert SECRET.encode() not in bytes(connection.api_key_encrypted)
    assert connection.base_url == "http://127.0.0.1:8080/v1"


def test_the_key_never_comes_back_to_the_browser(admin_client, make_conversation, admin_user):
    add(admin_client)
    connection = Connection.objects.get(name="Local")
    conversation = make_conversation(admin_user)
    pages = [
        admin_client.get("/connections/"),
        admin_client.get(f"/connections/{connection.pk}/edit/"),
        admin_client.get(f"/c/{conversation.pk}/"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert SECRET not in page.content.decode()
    assert "Key set, ending in 1234" in pages[0].content.decode()


def test_editing_with_a_blank_key_keeps_the_stored_key(admin_client):
    add(admin_client)
    connection = Connection.objects.get(name="Local")
    before = bytes(connection.api_key_encrypted)
    admin_client.post(
        f"/connections/{connection.pk}/edit/",
        {
            "kind": "openai_compatible",
            "name": "Renamed",
            "base_url": "http://127.0.0.1:9/v1",
            "api_key": "",
        },
    )
    connection.refresh_from_db()
    assert connection.name == "Renamed"
    assert bytes(connection.api_key_encrypted) == before


def test_the_stored_key_can_be_removed(admin_client):
    add(admin_client)
    connection = Connection.objects.get(name="Local")
    admin_client.post(
        f"/connections/{connection.pk}/edit/",
        {"kind": "openai_compatible", "name": "Local", "base_url": "http://127.0.0.1:9/v1",
         "api_key": "", "remove_key": "on"},
    )  # fmt: skip
    connection.refresh_from_db()
    assert (bytes(connection.api_key_encrypted), connection.api_key_last4) == (b"", "")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"base_url": ""}, "needs its base URL"),
        ({"base_url": "ftp://example.com/v1"}, "Use an http:// or https:// URL"),
        ({"base_url": "not a url"}, "Enter a valid URL"),
        ({"kind": "openai", "base_url": "", "api_key": ""}, "OpenAI needs an API key"),
        ({"kind": "mistralai"}, "Select a valid choice"),
        ({"kind": "anthropic", "base_url": "", "api_key": ""}, "Anthropic needs an API key"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(admin_client, fields, message):
    page = add(admin_client, **fields)
    assert page.status_code == 200
    assert message in page.content.decode()
    assert not Connection.objects.exists()


def test_names_are_unique(admin_client):
    add(admin_client)
    page = add(admin_client, name="local")
    assert "exists" in page.content.decode()
    assert Connection.objects.count() == 1


def test_members_see_site_connections_but_cannot_change_them(member_client, make_connection):
    connection = make_connection(name="Shared", api_key="sk-member-cannot-see-9999")
    page = member_client.get("/connections/").content.decode()
    assert "Shared" in page and "ending in 9999" in page and "sk-member" not in page
    assert 'aria-label="Edit connection"' not in page
    refused = add(member_client)  # "Site" is not among their choices
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert member_client.post(f"/connections/{connection.pk}/delete/").status_code == 404
    assert member_client.get(f"/connections/{connection.pk}/edit/").status_code == 404
    assert Connection.objects.count() == 1


def test_an_admin_deletes_a_connection(admin_client, make_connection):
    connection = make_connection()
    admin_client.post(f"/connections/{connection.pk}/delete/")
    assert not Connection.objects.exists()


@pytest.mark.live
def test_testing_a_connection_lists_the_servers_models(
    admin_client, make_connection, fake_provider
):
    connection = make_connection(base_url=fake_provider.base_url)
    page = admin_client.post(f"/connections/{connection.pk}/test/").content.decode()
    assert "Connected — 9 models" in page and "fake-model" in page


@pytest.mark.live
def test_a_failed_test_says_why_without_the_key(admin_client, make_connection, fake_provider):
    fake_provider.state.api_key = "the-right-key"
    connection = make_connection(base_url=fake_provider.base_url, api_key="sk-the-wrong-key-5555")
    page = admin_client.post(f"/connections/{connection.pk}/test/").content.decode()
    assert "Could not connect" in page and "API key" in page
    assert "sk-the-wrong-key" not in page


def test_an_anthropic_connection_needs_no_base_url_and_shows_the_default(admin_client):
    add(admin_client, kind="anthropic", name="Claude", base_url="")
    connection = Connection.objects.get(name="Claude")
    assert (connection.kind, connection.base_url) == ("anthropic", "")
    page = admin_client.get("/connections/").content.decode()
    assert "https://api.anthropic.com/v1" in page and "Anthropic" in page


def test_provider_options_are_saved_for_their_kind_only_and_reach_the_model(admin_client):
    from connections.llm import chat_model_for

    add(admin_client, kind="bedrock", name="AWS", base_url="", api_key="bedrock-key",
        option_region="eu-west-1", option_project="ignored-for-bedrock")  # fmt: skip
    connection = Connection.objects.get(name="AWS")
    assert connection.options == {"region": "eu-west-1"}
    model = chat_model_for(connection, "anthropic.claude-3-haiku-20240307-v1:0", {})
    assert model.endpoint.startswith("https://bedrock-runtime.eu-west-1.amazonaws.com/model/")
    page = admin_client.get(f"/connections/{connection.pk}/edit/").content.decode()
    assert 'value="eu-west-1"' in page and "bedrock-key" not in page


def test_a_bedrock_access_key_needs_its_secret_which_is_encrypted_and_used_to_sign(admin_client):
    from connections.llm import chat_model_for

    response = add(admin_client, kind="bedrock", name="AWS keys", base_url="", api_key="",
                   option_region="eu-west-1", option_aws_access_key_id="AKIAFROMFORM")  # fmt: skip
    assert "Type the secret access key of that access key ID." in response.content.decode()
    assert not Connection.objects.filter(name="AWS keys").exists()
    add(admin_client, kind="bedrock", name="AWS keys", base_url="", api_key="form/secret/KEY1",
        option_region="eu-west-1", option_aws_access_key_id="AKIAFROMFORM")  # fmt: skip
    connection = Connection.objects.get(name="AWS keys")
    assert b"form/secret" not in bytes(connection.api_key_encrypted)
    model = chat_model_for(connection, "anthropic.claude-3-haiku-20240307-v1:0", {})
    assert model.config.api_key is None  # not a bearer: the secret of the access key
    assert model.config.secrets == {"aws_secret_access_key": "form/secret/KEY1"}
    assert model.config.extra["aws_access_key_id"] == "AKIAFROMFORM"


@pytest.mark.live
@pytest.mark.parametrize(
    ("kind", "options", "listed"),
    [("bedrock", {"region": "us-east-1", "aws_access_key_id": "AKIATEST"}, "fake-model"),
     ("google_vertexai", {"project": "demo", "location": "global"}, "gemini-fake-model")],
)  # fmt: skip
def test_bedrock_and_vertex_connections_are_tested_by_listing_models(
    admin_client, make_connection, fake_provider, kind, options, listed
):
    root = fake_provider.base_url.removesuffix("/v1")
    connection = make_connection(
        base_url=root, kind=kind, api_key="secret-or-token", options=options
    )
    page = admin_client.post(f"/connections/{connection.pk}/test/").content.decode()
    assert "Connected — 9 models" in page and listed in page
    assert "secret-or-token" not in page


def test_an_ollama_context_window_is_a_number_and_reaches_the_options(admin_client):
    from connections.llm import chat_model_for

    response = add(admin_client, kind="ollama", name="Local", base_url="http://127.0.0.1:11434",
                   api_key="", option_num_ctx="lots")  # fmt: skip
    assert "Type a whole number of tokens" in response.content.decode()
    add(admin_client, kind="ollama", name="Local", base_url="http://127.0.0.1:11434",
        api_key="", option_num_ctx="32768", option_json_schema_style="not-for-ollama")  # fmt: skip
    connection = Connection.objects.get(name="Local")
    assert connection.options == {"num_ctx": "32768"}
    body = chat_model_for(connection, "llama3.2", {}).build_body([user("hi")])
    assert body["options"]["num_ctx"] == 32768 and "num_ctx" not in body


def test_a_tgi_server_gets_its_own_structured_output_shape(admin_client):
    from connections.llm import chat_model_for

    response = add(admin_client, name="TGI", option_json_schema_style="grammar")
    assert "Type one of: openai, tgi." in response.content.decode()
    add(admin_client, name="TGI", option_json_schema_style="tgi")
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    model = chat_model_for(Connection.objects.get(name="TGI"), "tgi", {}, schema=schema)
    body = model.build_body([user("hi")])
    assert body["response_format"] == {"type": "json", "value": schema}
    assert "json_schema_style" not in body
