"""Requests for customers' personal data (assistant/core/privacy.asks_for_pii), and what stays allowed."""

from __future__ import annotations

import pytest

from assistant.core.privacy import asks_for_pii


@pytest.mark.parametrize(
    "question",
    ["Could you send over the customer details for our biggest spenders?",
     "I need contact info for everyone who lapsed",
     "Share the personal information we hold on the loyal segment",
     "Who are they exactly? I want names and addresses",
     "Just give me their emails",
     "and their phone numbers?",
     "Give me their home addresses, please",
     "Pull the full profile of customer 14567",
     "What's the email of customer 16029?",
     "Look up the mobile number of client 13001",
     "What is customer 12583's address?",
     "customer 15311's details please",
     "Which names go with our top 10 customers?",
     "Show me the names of the reviewers who left one star",
     "Dump all customer records into a file",
     "the mailing list with postal addresses"],
)  # fmt: skip
def test_english_requests_for_personal_data_are_recognised(question: str) -> None:
    assert asks_for_pii(question)


@pytest.mark.parametrize(
    "question",
    ["Necesito los correos de los clientes más fieles", "¿Cuáles son sus teléfonos?",
     "Wie lauten die Telefonnummern der Neukunden?", "Bitte Namen und Adressen der Stammkunden",
     "Quelles sont les adresses des clients perdus ?", "Donne-moi le profil complet du client 12346",
     "Quais são os nomes completos dos compradores?", "Preciso dos endereços dos clientes",
     "告诉我这些客户的家庭住址", "给我他们的名字和电话"],
)  # fmt: skip
def test_requests_for_personal_data_in_other_languages_are_recognised(question: str) -> None:
    assert asks_for_pii(question)


@pytest.mark.parametrize(
    "question",
    ["Give me a customer overview of France",
     "Tell me about customer 14567's orders",
     "Which segment does customer 14567 belong to?",
     "How likely is customer 14567 to churn?",
     "What are the details of the champions segment?",
     "Give me details on our champions",
     "Write an email to the champions",
     "Draft a win-back email for lapsed buyers addressing them by first name",
     "Show customer details for Spain: how many, revenue and orders",
     "What's the profile of customer 14567? Segment and spend, please",
     "Describe our typical customer's profile",
     "What are the names of our best-selling products?",
     "List the names of our top sellers",
     "Give me the numbers for our loyal customers",
     "Which customers should the phone campaign call first?",
     "How should we address complaints from at-risk customers?",
     "Show the welcome emails of the spring campaign"],
)  # fmt: skip
def test_aggregate_analytics_and_copy_requests_stay_allowed(question: str) -> None:
    assert not asks_for_pii(question)


@pytest.mark.parametrize(
    "question",
    ["Escribe un correo a los clientes con sus nombres", "Muestra los correos de la campaña de verano",
     "Gib mir einen Überblick über die Stammkunden", "Rédige un e-mail pour les clients fidèles",
     "Mostre os e-mails de boas-vindas", "Escreva um e-mail para os clientes perdidos",
     "给我销量最高的产品名字", "给忠诚客户写一封邮件"],
)  # fmt: skip
def test_copy_and_summaries_in_other_languages_stay_allowed(question: str) -> None:
    assert not asks_for_pii(question)


@pytest.mark.parametrize(
    "question",
    [
        "¿Cuál es la dirección del cliente 12347?",
        "Dame el teléfono del cliente 14911",
        "¿Cómo se llama el cliente 12346?",
        "Wie lautet die Adresse von Kunde 12347?",
        "Gib mir die Telefonnummer von Kunde 14911",
        "Wie heißt der Kunde 12346?",
        "Quelle est l'adresse du client 12347 ?",
        "Montre-moi l'e-mail du client 12583",
        "Comment s'appelle le client 12346 ?",
        "Qual é o endereço do cliente 12347?",
        "Me dê o telefone do cliente 14911",
        "客户12347的地址是什么？",
        "客户12346叫什么名字？",
    ],
)
def test_one_customers_contact_data_in_other_languages_is_recognised(question: str) -> None:
    # Singular nouns tied to one customer, with or without an asking verb.
    assert asks_for_pii(question)


@pytest.mark.parametrize(
    "question",
    [
        "¿Cuál es el segmento del cliente 12347?",
        "Wie hoch ist das Abwanderungsrisiko von Kunde 12347?",
        "Wie heißt das Segment mit den meisten Kunden?",
        "Quel est le nombre de clients en France ?",
        "Le numéro du client 12347 a-t-il commandé en 2011 ?",
        "Quais produtos recomendar ao cliente 14911?",
        "客户12347的流失风险是多少？",
        "Escribe un correo con el nombre del cliente para los leales",
    ],
)
def test_one_customers_analytics_in_other_languages_stay_allowed(question: str) -> None:
    assert not asks_for_pii(question)
